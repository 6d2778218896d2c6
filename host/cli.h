/* SPDX-License-Identifier: MIT */
/*
 * cli.h - pvkit's command line, as one table.
 *
 * Each command (run, inspect, probe, help, --version) is one struct
 * cli_command, and each of its options and operands one struct cli_option:
 * name, argument name, help line, default, parser.  That one table is what
 * cli_parse() accepts, what `pvkit help` prints (cli_print_usage,
 * cli_print_help) and, through `pvkit help`, what the README and
 * docs/vmm.md quote (tests/boot/vmm_cli.sh fails when they differ).  So an
 * option exists everywhere or nowhere, and adding one is one line in its
 * command's table; adding a value to a choice (--entry, --pv-mode) is one
 * line in its struct cli_choice list.  kvmtool's builtin-run.c keeps its
 * options the same way.
 *
 * Mistakes in the command line itself (an unknown option, a missing
 * argument, a stray word) are one line "pvkit: CMD: what (see pvkit help)";
 * a bad value is one line "pvkit: --OPTION VALUE: what is wrong", from its
 * parser.  Either way the caller exits with status 2.
 */
#ifndef PVKIT_HOST_CLI_H
#define PVKIT_HOST_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct cli_option;

/*
 * Store what `text` says into the command's options struct `opts`; -1 after
 * one line "pvkit: --NAME TEXT: what is wrong".  `text` is NULL for a flag.
 */
typedef int cli_parse_fn(const struct cli_option *opt, const char *text, void *opts);

/* One accepted word of a choice option and the value it stands for. */
struct cli_choice {
	const char *name;
	int value;
};

struct cli_option {
	const char *name; /* "mem" for --mem; NULL for an operand (IMAGE) */
	const char *arg;  /* its argument in the help ("SIZE"); NULL: a flag */
	const char *help; /* one short line */
	/* The value when the option is absent, parsed as if given, and shown as
	 * "(default: ...)"; NULL: none (an operand without one is required). */
	const char *fallback;
	cli_parse_fn *parse;
	size_t field; /* the generic parsers' field: offsetof() in opts */
	/* Accepted words; the help shows them as ARG|word|word. */
	const struct cli_choice *choices;
	size_t nchoices;
	bool flag_value; /* what a flag stores; its field starts as the opposite */
};

/* One exit status of a command, for `pvkit help`. */
struct cli_exit_status {
	int status;
	const char *label; /* shown instead of the number ("v", "128+N"); or NULL */
	const char *meaning;
};

struct cli_command {
	const char *name;	/* "run", "--version" */
	const char *aliases[2]; /* also accepted ("--help", "-h"); NULL: unused */
	const char *summary;	/* one line */
	const struct cli_option *options;
	size_t noptions;
	const struct cli_exit_status *statuses; /* NULL: not listed */
	size_t nstatuses;
	int (*main)(int argc, char **argv); /* argv[0] is the command's name */
};

#define CLI_COUNT(array)    (sizeof(array) / sizeof((array)[0]))
#define CLI_OPTIONS(table)  .options = (table), .noptions = CLI_COUNT(table)
#define CLI_STATUSES(table) .statuses = (table), .nstatuses = CLI_COUNT(table)
#define CLI_CHOICES(list)   .choices = (list), .nchoices = CLI_COUNT(list)

/*
 * The generic parsers, with a compile-time check of the field's type (a
 * comparison of distinct pointer types, or a negative array size, fails
 * to compile):
 *	CLI_STRING	a const char * field: the text itself
 *	CLI_FLAG	a bool field: `value` when the flag is given, else !value
 *	CLI_CHOICE	an int-sized (enum) field: the value of the word given
 */
#define CLI_FIELD_OF(type, member, ptrtype)                                                        \
	.field = offsetof(type, member) + 0 * sizeof(&((type *)0)->member == (ptrtype)0)
#define CLI_STRING(type, member)                                                                   \
	.parse = cli_parse_string, CLI_FIELD_OF(type, member, const char **)
#define CLI_FLAG(type, member, value)                                                              \
	.parse = cli_parse_flag, .flag_value = (value), CLI_FIELD_OF(type, member, bool *)
#define CLI_CHOICE(type, member, list)                                                             \
	.parse = cli_parse_choice, CLI_CHOICES(list),                                              \
	.field = offsetof(type, member) +                                                          \
		 0 * sizeof(char[sizeof(((type *)0)->member) == sizeof(int) ? 1 : -1])

cli_parse_fn cli_parse_string, cli_parse_flag, cli_parse_choice;

/*
 * Fill `opts` from the defaults and then argv[1..argc-1] (argv[0] is the
 * command's name).  Accepts --name VALUE, --name=VALUE and operands in
 * table order.  0, or -1 after one line on stderr.
 */
int cli_parse(const struct cli_command *cmd, int argc, char **argv, void *opts);

/* The choice whose word is `text`, or NULL. */
const struct cli_choice *cli_find_choice(const struct cli_option *opt, const char *text);

/*
 * "pc, pvkit or a 32-bit number": the option's words, then `extra` if not
 * NULL, joined for an error message.  Cut to fit `size`.
 */
void cli_describe_choices(const struct cli_option *opt, const char *extra, char *buf, size_t size);

/* One line "pvkit: CMD: what (see pvkit help)" on stderr. */
void cli_usage_error(const struct cli_command *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* "usage:" and one synopsis per command, wrapped at 80 columns. */
void cli_print_usage(const struct cli_command *const *cmds, size_t ncmds, FILE *out);

/* "pvkit CMD: summary", then one line per option and operand. */
void cli_print_help(const struct cli_command *cmd, FILE *out);

/* "exit status of pvkit CMD:" and one line per status. */
void cli_print_statuses(const struct cli_command *cmd, FILE *out);

#endif
