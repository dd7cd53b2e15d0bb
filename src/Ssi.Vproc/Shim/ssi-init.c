/*
 * ssi-init: PID 1 of a cluster job's PID namespace.
 *
 *   ssi-init [--as=UID:GID:GROUPS] -- PROGRAM ARGS...
 *
 * Takes on the caller's identity (GROUPS: comma-separated gids, or empty), starts PROGRAM
 * in a process group of its own (the terminal's foreground group when stdin is a terminal),
 * forwards every signal it receives to that group, reaps orphans, and exits with PROGRAM's
 * status: its exit code, or 128+N when signal N killed it. ssid starts it in a new session
 * and PID namespace; when it exits, the kernel kills whatever is left in the namespace.
 *
 * It replaces setpriv + tini: one exec instead of two for other users, and posix_spawn
 * (CLONE_VFORK, no page-table copy) instead of fork, which is most of a short job's start
 * on a machine where page faults are dear. Built static by Ssi.Vproc.csproj.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define MAX_GROUPS 1024

static void die(int status, const char *what, const char *detail)
{
    fprintf(stderr, "ssi-init: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    exit(status);
}

static unsigned long parse_id(const char *text, char **end)
{
    errno = 0;
    unsigned long id = strtoul(text, end, 10);
    if (errno != 0 || *end == text || id > UINT_MAX - 1)
        die(126, "bad --as: expected UID:GID:GID,GID,...", text);
    return id;
}

/* --as=UID:GID:G1,G2,...: groups first, then gid, then uid (after which nothing is allowed). */
static void become(const char *spec)
{
    char *end;
    uid_t uid = (uid_t)parse_id(spec, &end);
    if (*end != ':')
        die(126, "bad --as: expected UID:GID:GID,GID,...", spec);
    gid_t gid = (gid_t)parse_id(end + 1, &end);
    if (*end != ':')
        die(126, "bad --as: expected UID:GID:GID,GID,...", spec);
    static gid_t groups[MAX_GROUPS];
    size_t count = 0;
    for (const char *p = end + 1; *p != '\0';) {
        if (count == MAX_GROUPS)
            die(126, "bad --as: too many groups", spec);
        groups[count++] = (gid_t)parse_id(p, &end);
        if (*end == ',')
            end++;
        else if (*end != '\0')
            die(126, "bad --as: expected UID:GID:GID,GID,...", spec);
        p = end;
    }
    if (setgroups(count, groups) != 0)
        die(126, "setgroups failed", strerror(errno));
    if (setresgid(gid, gid, gid) != 0)
        die(126, "setresgid failed", strerror(errno));
    if (setresuid(uid, uid, uid) != 0)
        die(126, "setresuid failed", strerror(errno));
}

static pid_t start(char **argv, const sigset_t *all)
{
    posix_spawnattr_t attr;
    posix_spawn_file_actions_t actions;
    sigset_t none;
    sigemptyset(&none);
    if (posix_spawnattr_init(&attr) != 0 || posix_spawn_file_actions_init(&actions) != 0)
        die(126, "out of memory", NULL);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, all);
    /* With a terminal, the program's group becomes its foreground group (job control, ^C).
       The child does it while every signal is still blocked, so SIGTTOU cannot stop it. */
    if (isatty(STDIN_FILENO))
        posix_spawn_file_actions_addtcsetpgrp_np(&actions, STDIN_FILENO);
    pid_t pid;
    int error = posix_spawnp(&pid, argv[0], &actions, &attr, argv, environ);
    if (error != 0)
        die(error == ENOENT ? 127 : 126, argv[0], strerror(error));
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    return pid;
}

static int status_of(int status)
{
    return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

int main(int argc, char **argv)
{
    int first = 1;
    if (first < argc && strncmp(argv[first], "--as=", 5) == 0)
        become(argv[first++] + 5);
    if (first >= argc || strcmp(argv[first], "--") != 0 || first + 1 >= argc)
        die(126, "usage: ssi-init [--as=UID:GID:GROUPS] -- PROGRAM ARGS...", NULL);

    /* Every signal is taken with sigwaitinfo: a namespace's init gets no signal it has no
       handler for, but blocked ones are queued for it. */
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);
    pid_t program = start(argv + first + 1, &all);

    for (;;) {
        siginfo_t info;
        int signal = sigwaitinfo(&all, &info);
        if (signal < 0)
            continue;
        if (signal != SIGCHLD) {
            if (kill(-program, signal) != 0)
                kill(program, signal);
            continue;
        }
        int status;
        pid_t reaped;
        while ((reaped = waitpid(-1, &status, WNOHANG)) > 0)
            if (reaped == program)
                return status_of(status);
    }
}
