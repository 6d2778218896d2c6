/* SPDX-License-Identifier: MIT */
/* version.h - pvkit's own version (`pvkit --version`, snapshot headers). */
#ifndef PVKIT_HOST_VERSION_H
#define PVKIT_HOST_VERSION_H

#define PVKIT_VERSION "0.1.0"

#endif
