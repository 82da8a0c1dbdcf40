/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * cmd_exporter.c - `gilscope exporter`: the GIL of every Python process on
 * the host as Prometheus metrics on http://ADDR:PORT/metrics, always on.
 *
 * options -> the listening socket (a bad address or a port in use fails
 * here, before anything is loaded) -> the watch (record/gilwatch.h: BPF
 * counters on every interpreter file) -> privileges dropped (cmd_watch.h)
 * -> the first snapshot -> the HTTP server (libmicrohttpd, its own thread)
 * -> every --interval: a snapshot, rendered (model/promexp.h) and swapped
 * in under a mutex. A scrape only copies the latest text: it never waits
 * for the kernel side, however loaded the machine. SIGTERM/SIGINT end it
 * cleanly, SIGHUP looks at every process again.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "cmd/cmd.h"
#include "cmd/cmd_watch.h"
#include "model/promexp.h"
#include "util/num.h"

#define DEFAULT_LISTEN "127.0.0.1:9464"
#define CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

static const char usage[] =
"usage: gilscope exporter [--listen ADDR:PORT] [--listen-any] [--interval S]\n"
"                         [-p PID[,PID...]] [--max-threads N] [--max-processes N]\n"
"                         [--no-names] [--attach-once]\n"
"\n"
"Serve the GIL of every Python process on this machine as Prometheus metrics\n"
"on http://ADDR:PORT/metrics (text format 0.0.4), always on: hold and wait\n"
"time, acquisitions and hand-offs per thread, and a histogram of waits. The\n"
"counters live in the kernel (no events are streamed), so a traced program\n"
"pays only for its probes. Interpreters started later are found as they\n"
"start. SIGHUP looks at every process again; SIGTERM ends it.\n"
"\n"
"  --listen ADDR:PORT  where to serve (default " DEFAULT_LISTEN "; [::1]:PORT for\n"
"                      IPv6; port 0 picks a free one, said at start)\n"
"  --listen-any        allow an address other than loopback (the metrics name\n"
"                      your processes and threads: think before opening them)\n"
"  --interval S        read the counters every S seconds (default 1)\n"
"  -p, --pid PID       only these processes (repeat, or a comma-separated list)\n"
"  --max-threads N     thread series per process (default 32); the others are\n"
"                      counted under thread=\"(other)\"\n"
"  --max-processes N   processes with series of their own (default 256); the\n"
"                      others are counted under pid=\"(other)\"\n"
"  --no-names          do not read Python thread names (thread=\"tid N\")\n"
CMD_WATCH_HELP_TAIL;

/* What the HTTP thread serves, swapped in by the main thread. */
struct served {
	pthread_mutex_t lock;
	char *text;		/* the latest metrics */
	size_t len;
	uint64_t scrapes;
};

/* ---- listening ---------------------------------------------------------------- */

static bool loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;

		return IN6_IS_ADDR_LOOPBACK(a) ||
		       (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
	}
	return false;
}

/*
 * A listening socket for "HOST:PORT" ("[V6]:PORT"; HOST may be a name such
 * as localhost; empty HOST: every address). 0 and *fd, 2 after a usage line
 * (a malformed or non-loopback address), 1 after an error line (the port
 * is in use, the address is not this machine's).
 */
static int listen_on(const char *spec, bool any, int *fd, char *shown, size_t shownlen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV };
	struct addrinfo *res = NULL;
	char host[256], q[256], port[8];
	const char *colon = strrchr(spec, ':');
	int64_t pnum;
	int s, one = 1, r;

	if (!colon || (size_t)(colon - spec) >= sizeof(host))
		return cmd_usage("exporter", "bad --listen '%s': give ADDR:PORT, e.g. %s",
				 cmd_quote(q, sizeof(q), spec), DEFAULT_LISTEN);
	memcpy(host, spec, colon - spec);
	host[colon - spec] = '\0';
	if (host[0] == '[') {	/* [v6] */
		size_t n = strlen(host);

		if (n < 2 || host[n - 1] != ']')
			return cmd_usage("exporter", "bad --listen '%s': an IPv6 address goes in "
					 "brackets, e.g. [::1]:9464", cmd_quote(q, sizeof(q), spec));
		memmove(host, host + 1, n - 2);
		host[n - 2] = '\0';
	}
	if (num_parse_i64(colon + 1, 0, 65535, &pnum))
		return cmd_usage("exporter", "bad --listen '%s': the port is a number from 0 to 65535",
				 cmd_quote(q, sizeof(q), spec));
	snprintf(port, sizeof(port), "%d", (int)pnum);
	if (!host[0] || !strcmp(host, "*"))
		hints.ai_flags |= AI_PASSIVE;
	r = getaddrinfo(host[0] && strcmp(host, "*") ? host : NULL, port, &hints, &res);
	if (r) {
		fprintf(stderr, "gilscope exporter: cannot listen on %s: %s\n",
			cmd_quote(q, sizeof(q), spec), gai_strerror(r));
		return 1;
	}
	if (!loopback(res->ai_addr) && !any) {
		freeaddrinfo(res);
		return cmd_usage("exporter", "--listen %s is not a loopback address: the metrics "
				 "would be open to the network; add --listen-any if that is meant",
				 cmd_quote(q, sizeof(q), spec));
	}
	s = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s >= 0) {
		setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (res->ai_family == AF_INET6)	/* this address only, not IPv4 too */
			setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	}
	if (s < 0 || bind(s, res->ai_addr, res->ai_addrlen) || listen(s, 64)) {
		fprintf(stderr, "gilscope exporter: cannot listen on %s: %s\n",
			cmd_quote(q, sizeof(q), spec), strerror(errno));
		if (s >= 0)
			close(s);
		freeaddrinfo(res);
		return 1;
	}
	freeaddrinfo(res);
	/* the address as bound: with port 0, the port the kernel chose */
	{
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		char a[INET6_ADDRSTRLEN] = "?";
		int p = 0;

		getsockname(s, (struct sockaddr *)&ss, &sl);
		if (ss.ss_family == AF_INET6) {
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, a, sizeof(a));
			p = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
			snprintf(shown, shownlen, "[%s]:%d", a, p);
		} else {
			inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, a, sizeof(a));
			p = ntohs(((struct sockaddr_in *)&ss)->sin_port);
			snprintf(shown, shownlen, "%s:%d", a, p);
		}
	}
	*fd = s;
	return 0;
}

/* ---- HTTP ----------------------------------------------------------------------- */

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *type,
			     const char *body, size_t len)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)body,
								 MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ok;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ok = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ok;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version,
				  const char *upload, size_t *upload_size, void **con_cls)
{
	static const char index_page[] =
		"gilscope exporter: the GIL of every Python process here. Metrics: /metrics\n";
	struct served *sv = cls;
	struct MHD_Response *r;
	enum MHD_Result ok;

	(void)version;
	(void)upload;
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD)) {
		*upload_size = 0;	/* a body is not read: refused */
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", "GET or HEAD only\n", 17);
	}
	if (!*con_cls) {	/* the headers: answer once they are all in */
		*con_cls = sv;
		return MHD_YES;
	}
	if (!strcmp(url, "/"))
		return reply(c, MHD_HTTP_OK, "text/plain; charset=utf-8", index_page,
			     sizeof(index_page) - 1);
	if (strcmp(url, "/metrics"))
		return reply(c, MHD_HTTP_NOT_FOUND, "text/plain", "not found: try /metrics\n", 24);
	/* a copy of the latest text, made under the lock: a scrape never waits
	 * for more than a memcpy */
	pthread_mutex_lock(&sv->lock);
	r = MHD_create_response_from_buffer(sv->len, sv->text, MHD_RESPMEM_MUST_COPY);
	sv->scrapes++;
	pthread_mutex_unlock(&sv->lock);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, CONTENT_TYPE);
	ok = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ok;
}

/* ---- the loop ------------------------------------------------------------------- */

/* A snapshot, into the series, rendered and swapped in. */
static int refresh(struct cmd_watch *cw, struct gilsnap *snap, struct promexp *pe,
		   struct served *sv)
{
	char *text = NULL, *old;
	size_t len = 0;
	int r;

	if ((r = gilwatch_snapshot(cw->w, snap)) || (r = promexp_update(pe, snap)) ||
	    (r = promexp_render(pe, &text, &len)))
		return r;
	pthread_mutex_lock(&sv->lock);
	old = sv->text;
	sv->text = text;
	sv->len = len;
	pthread_mutex_unlock(&sv->lock);
	free(old);
	return 0;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Snapshots every interval until SIGTERM/SIGINT; SIGHUP rescans. Between
 * snapshots the watch looks for new interpreters every GILWATCH_WORK_MS. */
static int serve(struct cmd_watch *cw, struct gilsnap *snap, struct promexp *pe,
		 struct served *sv, int sfd, uint64_t interval_ms)
{
	uint64_t next = mono_ms() + interval_ms;

	for (;;) {
		struct pollfd pfd = { .fd = sfd, .events = POLLIN };
		uint64_t now = mono_ms(), wait;
		struct signalfd_siginfo si;
		int r;

		if (now >= next) {
			if ((r = refresh(cw, snap, pe, sv))) {
				fprintf(stderr, "gilscope exporter: reading the counters: %s\n",
					strerror(-r));
				return 1;
			}
			next += interval_ms;
			if (next <= now)	/* fell behind (suspended, overloaded): no burst */
				next = now + interval_ms;
			continue;
		}
		wait = next - now < GILWATCH_WORK_MS ? next - now : GILWATCH_WORK_MS;
		if (poll(&pfd, 1, (int)wait) <= 0) {
			gilwatch_work(cw->w);
			continue;
		}
		if (read(sfd, &si, sizeof(si)) != sizeof(si))
			continue;
		if (si.ssi_signo == SIGHUP) {
			fprintf(stderr, "gilscope exporter: SIGHUP: looking at every process again\n");
			gilwatch_rescan(cw->w);
			next = now;
			continue;
		}
		fprintf(stderr, "gilscope exporter: %s: exiting\n", strsignal((int)si.ssi_signo));
		return 0;
	}
}

int cmd_exporter(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "listen-any", no_argument, NULL, 'A' },
		{ "interval", required_argument, NULL, 'i' },
		{ "max-threads", required_argument, NULL, 'T' },
		{ "max-processes", required_argument, NULL, 'P' },
		CMD_OPTS_WATCH,
		CMD_OPT_HELP,
		{ 0 },
	};
	const char *listen_spec = DEFAULT_LISTEN;
	struct served sv = { .lock = PTHREAD_MUTEX_INITIALIZER };
	struct promexp_opts peo = { 0 };
	struct cmd_watch cw = { 0 };
	struct MHD_Daemon *d = NULL;
	struct gilsnap snap = { 0 };
	struct promexp *pe = NULL;
	char shown[INET6_ADDRSTRLEN + 16], q[256];
	double interval = 1.0;
	bool any = false;
	int c, rc, lfd = -1, sfd = -1, ret = 1;
	int64_t v;
	sigset_t sigs;

	/* options */
	optind = 1;
	while ((c = cmd_getopt("exporter", argc, argv, "+:p:h", longopts)) != -1) {
		switch (c) {
		case 'l': listen_spec = optarg; break;
		case 'A': any = true; break;
		case 'i':
			if ((rc = cmd_parse_double("exporter", "--interval", optarg, 0.01, 3600,
						   "seconds, from 0.01 to 3600", &interval)))
				return rc;
			break;
		case 'T':
		case 'P':
			if (num_parse_i64(optarg, 1, 100000, &v))
				return cmd_usage("exporter", "bad %s '%s': a number from 1 to 100000",
						 c == 'T' ? "--max-threads" : "--max-processes",
						 cmd_quote(q, sizeof(q), optarg));
			*(c == 'T' ? &peo.max_threads : &peo.max_procs) = (size_t)v;
			break;
		case 'h': fputs(usage, stdout); return 0;
		default:
			if ((rc = cmd_watch_opt("exporter", c, optarg, &cw)))
				return rc;
		}
	}
	if (optind < argc)
		return cmd_usage("exporter", "unexpected argument '%s'",
				 cmd_quote(q, sizeof(q), argv[optind]));

	/* the socket first: a port in use or a bad address fails at once */
	if ((rc = listen_on(listen_spec, any, &lfd, shown, sizeof(shown))))
		return rc;
	/* signals: read from a signalfd by the loop (blocked in every thread,
	 * the HTTP server's included, which inherits this mask) */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &sigs, SFD_CLOEXEC);
	if (sfd < 0) {
		fprintf(stderr, "gilscope exporter: signalfd: %s\n", strerror(errno));
		goto out;
	}
	/* the watch, then privileges go */
	if (cmd_watch_start("exporter", &cw))
		goto out;
	if (promexp_new(&pe, &peo) || refresh(&cw, &snap, pe, &sv)) {
		fprintf(stderr, "gilscope exporter: cannot read the counters: out of memory\n");
		goto out;
	}
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO, 0, NULL, NULL,
			     on_request, &sv,
			     MHD_OPTION_LISTEN_SOCKET, lfd,
			     MHD_OPTION_CONNECTION_LIMIT, (unsigned)64,
			     MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)16,
			     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10,
			     MHD_OPTION_END);
	if (!d) {
		fprintf(stderr, "gilscope exporter: cannot start the HTTP server on %s\n", shown);
		goto out;
	}
	lfd = -1;	/* the daemon's now */
	fprintf(stderr, "gilscope exporter: serving http://%s/metrics (%zu Python processes%s)\n",
		shown, gilwatch_pythons(cw.w),
		gilwatch_pythons(cw.w) ? "" : " yet: watching for new ones");
	ret = serve(&cw, &snap, pe, &sv, sfd, (uint64_t)(interval * 1000 + 0.5));
out:
	if (d)
		MHD_stop_daemon(d);
	if (lfd >= 0)
		close(lfd);
	if (sfd >= 0)
		close(sfd);
	cmd_watch_stop(&cw);
	promexp_free(pe);
	gilsnap_free(&snap);
	free(sv.text);
	return ret;
}
