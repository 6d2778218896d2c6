// SPDX-License-Identifier: MIT
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "terminal.h"

static struct termios saved;
static int saved_fd = -1;

void terminal_restore(void)
{
	/* Only async-signal-safe calls: this also runs in fatal-signal handlers. */
	if (saved_fd >= 0) {
		tcsetattr(saved_fd, TCSANOW, &saved);
		saved_fd = -1;
	}
}

static const int fatal_signals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGQUIT};
static struct sigaction previous[sizeof(fatal_signals) / sizeof(fatal_signals[0])];

/*
 * A crash must not leave the user's shell in raw mode: restore, then hand
 * the signal to whoever had it before (the sanitizers' reporters in
 * pvkit-san), or die of it.
 */
static void restore_then_previous(int sig, siginfo_t *info, void *context)
{
	terminal_restore();
	for (size_t i = 0; i < sizeof(fatal_signals) / sizeof(fatal_signals[0]); i++) {
		if (fatal_signals[i] != sig)
			continue;
		const struct sigaction *old = &previous[i];
		if (old->sa_flags & SA_SIGINFO) {
			old->sa_sigaction(sig, info, context);
			return;
		}
		if (old->sa_handler != SIG_DFL && old->sa_handler != SIG_IGN) {
			old->sa_handler(sig);
			return;
		}
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

bool terminal_make_raw(int fd)
{
	if (!isatty(fd) || tcgetattr(fd, &saved) < 0)
		return false;
	struct termios raw = saved;
	/* Input as cfmakeraw() has it; output post-processing left alone, so a
	 * guest that prints bare newlines still lines up. */
	raw.c_iflag &=
	    ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
	raw.c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
	raw.c_cflag &= ~(tcflag_t)(CSIZE | PARENB);
	raw.c_cflag |= CS8;
	raw.c_cc[VMIN] = 1;
	raw.c_cc[VTIME] = 0;
	if (tcsetattr(fd, TCSANOW, &raw) < 0)
		return false;
	saved_fd = fd;
	static bool hooked;
	if (!hooked) {
		hooked = true;
		atexit(terminal_restore);
		for (size_t i = 0; i < sizeof(fatal_signals) / sizeof(fatal_signals[0]); i++) {
			struct sigaction sa = {.sa_sigaction = restore_then_previous};
			sigemptyset(&sa.sa_mask);
			sa.sa_flags = SA_SIGINFO | SA_NODEFER;
			sigaction(fatal_signals[i], &sa, &previous[i]);
		}
	}
	return true;
}
