// SPDX-License-Identifier: MIT
#include <stdarg.h>
#include <stdint.h>
#include <string.h>

#include "cli.h"
#include "log.h"

#define HELP_WIDTH 80
/* Where the help lines of the options start ("  --pv-mode auto|pvm|ring0"
 * and two spaces). */
#define HELP_COLUMN 28

static void *field_of(const struct cli_option *opt, void *opts)
{
	return (uint8_t *)opts + opt->field;
}

int cli_parse_string(const struct cli_option *opt, const char *text, void *opts)
{
	*(const char **)field_of(opt, opts) = text;
	return 0;
}

int cli_parse_flag(const struct cli_option *opt, const char *text, void *opts)
{
	(void)text;
	*(bool *)field_of(opt, opts) = opt->flag_value;
	return 0;
}

const struct cli_choice *cli_find_choice(const struct cli_option *opt, const char *text)
{
	for (size_t i = 0; i < opt->nchoices; i++)
		if (strcmp(opt->choices[i].name, text) == 0)
			return &opt->choices[i];
	return NULL;
}

void cli_describe_choices(const struct cli_option *opt, const char *extra, char *buf, size_t size)
{
	size_t n = opt->nchoices + (extra ? 1 : 0), len = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < n && len < size; i++) {
		const char *word = i < opt->nchoices ? opt->choices[i].name : extra;
		const char *sep = i == 0 ? "" : i + 1 == n ? " or " : ", ";
		int w = snprintf(buf + len, size - len, "%s%s", sep, word);
		if (w < 0)
			break;
		len += (size_t)w;
	}
}

int cli_parse_choice(const struct cli_option *opt, const char *text, void *opts)
{
	const struct cli_choice *c = cli_find_choice(opt, text);
	if (!c) {
		char words[200];
		cli_describe_choices(opt, NULL, words, sizeof(words));
		log_msg("--%s %s: not %s", opt->name, text, words);
		return -1;
	}
	*(int *)field_of(opt, opts) = c->value;
	return 0;
}

void cli_usage_error(const struct cli_command *cmd, const char *fmt, ...)
{
	char what[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	log_msg("%s: %s (see pvkit help)", cmd->name, what);
}

static bool takes_argument(const struct cli_option *opt)
{
	return opt->arg || opt->nchoices;
}

static bool is_operand(const struct cli_option *opt)
{
	return opt->name == NULL;
}

/* The option called `name` (its first `len` bytes), or NULL. */
static const struct cli_option *find_option(const struct cli_command *cmd, const char *name,
					    size_t len)
{
	for (size_t i = 0; i < cmd->noptions; i++) {
		const struct cli_option *opt = &cmd->options[i];
		if (!is_operand(opt) && strlen(opt->name) == len &&
		    strncmp(opt->name, name, len) == 0)
			return opt;
	}
	return NULL;
}

/* The `index`th operand of the table, or NULL. */
static const struct cli_option *find_operand(const struct cli_command *cmd, size_t index)
{
	for (size_t i = 0; i < cmd->noptions; i++)
		if (is_operand(&cmd->options[i]) && index-- == 0)
			return &cmd->options[i];
	return NULL;
}

static int apply_defaults(const struct cli_command *cmd, void *opts)
{
	for (size_t i = 0; i < cmd->noptions; i++) {
		const struct cli_option *opt = &cmd->options[i];
		if (opt->parse == cli_parse_flag)
			*(bool *)field_of(opt, opts) = !opt->flag_value;
		else if (opt->fallback && opt->parse(opt, opt->fallback, opts) < 0)
			return -1;
	}
	return 0;
}

/* argv[*i] is "--NAME" or "--NAME=VALUE": parse it, and its value. */
static int parse_long_option(const struct cli_command *cmd, int argc, char **argv, int *i,
			     void *opts)
{
	const char *name = argv[*i] + 2;
	const char *equals = strchr(name, '=');
	size_t len = equals ? (size_t)(equals - name) : strlen(name);
	const struct cli_option *opt = find_option(cmd, name, len);
	if (!opt) {
		cli_usage_error(cmd, "unknown option --%.*s", (int)len, name);
		return -1;
	}
	const char *value = equals ? equals + 1 : NULL;
	if (!takes_argument(opt)) {
		if (value) {
			cli_usage_error(cmd, "--%s takes no argument", opt->name);
			return -1;
		}
	} else if (!value) {
		if (*i + 1 >= argc) {
			cli_usage_error(cmd, "--%s needs an argument", opt->name);
			return -1;
		}
		value = argv[++*i];
	}
	return opt->parse(opt, value, opts);
}

/*L:120 The table's mechanism.  Defaults go in first, through the same
 * parsers as values given on the command line, so every field is set and
 * checked alike; then each word: `--name value`, `--name=value`, or an
 * operand.  A mistake ends the command here with one line that names it and
 * status 2, before any file is read or any memory is mapped.
 * Next: host/cmd_run.c. :*/
int cli_parse(const struct cli_command *cmd, int argc, char **argv, void *opts)
{
	if (apply_defaults(cmd, opts) < 0)
		return -1;
	size_t operands = 0;
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		if (strncmp(arg, "--", 2) == 0 && arg[2] != '\0') {
			if (parse_long_option(cmd, argc, argv, &i, opts) < 0)
				return -1;
		} else if (arg[0] == '-' && arg[1] != '\0') {
			cli_usage_error(cmd, "unknown option %s", arg);
			return -1;
		} else {
			const struct cli_option *opt = find_operand(cmd, operands++);
			if (!opt) {
				cli_usage_error(cmd, "unexpected argument %s", arg);
				return -1;
			}
			if (opt->parse(opt, arg, opts) < 0)
				return -1;
		}
	}
	for (const struct cli_option *opt; (opt = find_operand(cmd, operands)); operands++) {
		if (!opt->fallback) {
			cli_usage_error(cmd, "no %s given", opt->arg);
			return -1;
		}
	}
	return 0;
}

/* "--entry auto|64|pvh", "IMAGE" or "--stats": an option as the help
 * shows it. */
static void format_option(const struct cli_option *opt, char *buf, size_t size)
{
	int w = is_operand(opt)
		    ? snprintf(buf, size, "%s", opt->arg)
		    : snprintf(buf, size, "--%s%s%s", opt->name, takes_argument(opt) ? " " : "",
			       opt->arg ? opt->arg : "");
	if (w < 0)
		return;
	size_t len = (size_t)w;
	for (size_t i = 0; i < opt->nchoices && len < size; i++) {
		bool first = i == 0 && !opt->arg;
		w = snprintf(buf + len, size - len, "%s%s", first ? "" : "|", opt->choices[i].name);
		if (w < 0)
			return;
		len += (size_t)w;
	}
}

void cli_print_usage(const struct cli_command *const *cmds, size_t ncmds, FILE *out)
{
	fputs("usage:\n", out);
	for (size_t c = 0; c < ncmds; c++) {
		const struct cli_command *cmd = cmds[c];
		int column = fprintf(out, "    pvkit %s", cmd->name);
		int indent = column + 1;
		for (size_t i = 0; i < cmd->noptions; i++) {
			const struct cli_option *opt = &cmd->options[i];
			char text[128], word[132];
			format_option(opt, text, sizeof(text));
			bool optional = !is_operand(opt) || opt->fallback;
			snprintf(word, sizeof(word), optional ? "[%s]" : "%s", text);
			int len = (int)strlen(word);
			/* A word that would pass the width starts a new line,
			 * under the first word after the command's name. */
			if (column + 1 + len > HELP_WIDTH)
				column = fprintf(out, "\n%*s", indent - 1, "") - 1;
			column += fprintf(out, " %s", word);
		}
		fputc('\n', out);
	}
}

void cli_print_help(const struct cli_command *cmd, FILE *out)
{
	fprintf(out, "pvkit %s: %s\n", cmd->name, cmd->summary);
	for (size_t i = 0; i < cmd->noptions; i++) {
		const struct cli_option *opt = &cmd->options[i];
		char text[128];
		format_option(opt, text, sizeof(text));
		int len = fprintf(out, "  %s", text);
		fprintf(out, "%*s%s", len < HELP_COLUMN - 1 ? HELP_COLUMN - len : 1, "", opt->help);
		if (opt->fallback)
			fprintf(out, " (default: %s)", opt->fallback);
		fputc('\n', out);
	}
}

void cli_print_statuses(const struct cli_command *cmd, FILE *out)
{
	fprintf(out, "exit status of pvkit %s:\n", cmd->name);
	for (size_t i = 0; i < cmd->nstatuses; i++) {
		const struct cli_exit_status *s = &cmd->statuses[i];
		char status[16];
		if (s->label)
			snprintf(status, sizeof(status), "%s", s->label);
		else
			snprintf(status, sizeof(status), "%d", s->status);
		fprintf(out, "  %-7s%s\n", status, s->meaning);
	}
}
