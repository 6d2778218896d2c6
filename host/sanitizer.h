/* SPDX-License-Identifier: MIT */
/*
 * sanitizer.h - SANITIZER_RUNTIME: 1 when this file is built with
 * AddressSanitizer (build/pvkit-san), whose runtime makes system calls of
 * its own that the seccomp filters must allow (host/seccomp.h).
 */
#ifndef PVKIT_HOST_SANITIZER_H
#define PVKIT_HOST_SANITIZER_H

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZER_RUNTIME 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZER_RUNTIME 1
#endif
#endif
#ifndef SANITIZER_RUNTIME
#define SANITIZER_RUNTIME 0
#endif

#endif
