// SPDX-License-Identifier: MIT
/* The option-table mechanism (host/cli.c), with a table of its own. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "host/cli.h"

enum colour { RED, GREEN, BLUE };

struct opts {
	const char *file;
	const char *name;
	const char *output;
	bool loud;
	bool colour_on;
	enum colour colour;
	int count;
};

static int parse_count(const struct cli_option *opt, const char *text, void *opts)
{
	(void)opt;
	char *end;
	long n = strtol(text, &end, 10);
	if (*end || n < 0) {
		fprintf(stderr, "pvkit: --count %s: not a count\n", text);
		return -1;
	}
	((struct opts *)opts)->count = (int)n;
	return 0;
}

static const struct cli_choice colours[] = {{"red", RED}, {"green", GREEN}, {"blue", BLUE}};

static const struct cli_option table[] = {
    {NULL, "FILE", "the file", CLI_STRING(struct opts, file)},
    {NULL, "OUTPUT", "where to", .fallback = "-", CLI_STRING(struct opts, output)},
    {"name", "STR", "a name", .fallback = "anon", CLI_STRING(struct opts, name)},
    {"loud", NULL, "be loud", CLI_FLAG(struct opts, loud, true)},
    {"no-colour", NULL, "no colour", CLI_FLAG(struct opts, colour_on, false)},
    {"colour", NULL, "which colour", .fallback = "green", CLI_CHOICE(struct opts, colour, colours)},
    {"count", "N", "how many", .parse = parse_count},
};

static int cmd_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

static const struct cli_command cmd = {
    .name = "test",
    .summary = "a test command",
    CLI_OPTIONS(table),
    .main = cmd_main,
};

static char err[1024];

/* cli_parse() on the NULL-terminated words, with its stderr in `err`. */
static int parse(struct opts *o, ...)
{
	char *argv[16] = {"test"};
	int argc = 1;
	va_list ap;
	va_start(ap, o);
	for (char *a; (a = va_arg(ap, char *)) != NULL && argc < 15;)
		argv[argc++] = a;
	va_end(ap);
	FILE *capture = tmpfile();
	assert_non_null(capture);
	fflush(stderr);
	int saved = dup(2);
	dup2(fileno(capture), 2);
	*o = (struct opts){.count = -1};
	int r = cli_parse(&cmd, argc, argv, o);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(capture);
	size_t n = fread(err, 1, sizeof(err) - 1, capture);
	err[n] = '\0';
	fclose(capture);
	return r;
}

static void defaults(void **state)
{
	(void)state;
	struct opts o;
	assert_int_equal(parse(&o, "f", NULL), 0);
	assert_string_equal(o.file, "f");
	assert_string_equal(o.output, "-");
	assert_string_equal(o.name, "anon");
	assert_false(o.loud);
	assert_true(o.colour_on); /* the opposite of what --no-colour stores */
	assert_int_equal(o.colour, GREEN);
	assert_int_equal(o.count, -1); /* no fallback: untouched */
	assert_string_equal(err, "");
}

static void given(void **state)
{
	(void)state;
	struct opts o;
	assert_int_equal(parse(&o, "--name", "x", "f", "--loud", "--no-colour", "--colour=blue",
			       "--count=3", "out", NULL),
			 0);
	assert_string_equal(o.file, "f");
	assert_string_equal(o.output, "out");
	assert_string_equal(o.name, "x");
	assert_true(o.loud);
	assert_false(o.colour_on);
	assert_int_equal(o.colour, BLUE);
	assert_int_equal(o.count, 3);
	/* The argument of an option is taken as it is, even when it looks
	 * like an option; "=" keeps the rest of the word. */
	assert_int_equal(parse(&o, "--name", "--loud", "--count", "4", "f", NULL), 0);
	assert_string_equal(o.name, "--loud");
	assert_false(o.loud);
	assert_int_equal(o.count, 4);
	assert_int_equal(parse(&o, "--name=a=b", "f", NULL), 0);
	assert_string_equal(o.name, "a=b");
	assert_string_equal(err, "");
}

/* One line, "pvkit: " + `line`. */
static void assert_error(const char *line)
{
	char expected[600];
	snprintf(expected, sizeof(expected), "pvkit: %s\n", line);
	assert_string_equal(err, expected);
}

static void mistakes(void **state)
{
	(void)state;
	struct opts o;
	assert_int_equal(parse(&o, "f", "--frob", NULL), -1);
	assert_error("test: unknown option --frob (see pvkit help)");
	assert_int_equal(parse(&o, "--frob=1", NULL), -1);
	assert_error("test: unknown option --frob (see pvkit help)");
	assert_int_equal(parse(&o, "--nam", "x", "f", NULL), -1); /* no abbreviations */
	assert_error("test: unknown option --nam (see pvkit help)");
	assert_int_equal(parse(&o, "-l", "f", NULL), -1);
	assert_error("test: unknown option -l (see pvkit help)");
	assert_int_equal(parse(&o, "f", "--name", NULL), -1);
	assert_error("test: --name needs an argument (see pvkit help)");
	assert_int_equal(parse(&o, "f", "--loud=yes", NULL), -1);
	assert_error("test: --loud takes no argument (see pvkit help)");
	assert_int_equal(parse(&o, "f", "out", "more", NULL), -1);
	assert_error("test: unexpected argument more (see pvkit help)");
	assert_int_equal(parse(&o, "--loud", NULL), -1);
	assert_error("test: no FILE given (see pvkit help)");
	assert_int_equal(parse(&o, "f", "--colour", "pink", NULL), -1);
	assert_error("--colour pink: not red, green or blue");
	assert_int_equal(parse(&o, "f", "--count", "x", NULL), -1);
	assert_error("--count x: not a count");
}

static void choices(void **state)
{
	(void)state;
	const struct cli_option *colour = &table[5];
	assert_ptr_equal(cli_find_choice(colour, "blue"), &colours[2]);
	assert_null(cli_find_choice(colour, "Blue"));
	char buf[64];
	cli_describe_choices(colour, NULL, buf, sizeof(buf));
	assert_string_equal(buf, "red, green or blue");
	cli_describe_choices(colour, "a number", buf, sizeof(buf));
	assert_string_equal(buf, "red, green, blue or a number");
	cli_describe_choices(colour, NULL, buf, 8); /* cut, still terminated */
	assert_string_equal(buf, "red, gr");
}

/* What a print function writes, in a malloc'd string. */
static char *printed(void (*print)(const struct cli_command *, FILE *))
{
	char *text = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);
	assert_non_null(f);
	print(&cmd, f);
	fclose(f);
	return text;
}

static void help_text(void **state)
{
	(void)state;
	char *help = printed(cli_print_help);
	assert_string_equal(help, "pvkit test: a test command\n"
				  "  FILE                      the file\n"
				  "  OUTPUT                    where to (default: -)\n"
				  "  --name STR                a name (default: anon)\n"
				  "  --loud                    be loud\n"
				  "  --no-colour               no colour\n"
				  "  --colour red|green|blue   which colour (default: green)\n"
				  "  --count N                 how many\n");
	free(help);

	char *text = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);
	const struct cli_command *cmds[] = {&cmd, &cmd};
	cli_print_usage(cmds, 2, f);
	fclose(f);
	assert_string_equal(text,
			    "usage:\n"
			    "    pvkit test FILE [OUTPUT] [--name STR] [--loud] [--no-colour]\n"
			    "               [--colour red|green|blue] [--count N]\n"
			    "    pvkit test FILE [OUTPUT] [--name STR] [--loud] [--no-colour]\n"
			    "               [--colour red|green|blue] [--count N]\n");
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(defaults), cmocka_unit_test(given),     cmocka_unit_test(mistakes),
	    cmocka_unit_test(choices),	cmocka_unit_test(help_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
