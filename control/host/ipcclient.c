/* SPDX-License-Identifier: MIT */
/* control/host/ipcclient.c - one request over an IPC (Unix socket)
 * endpoint. */
#include "control/host/ipcclient.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

static int write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int ipcclient_call(char **resp, size_t *resp_len, const char *path,
		   const char *req, unsigned timeout_ms)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = {
		.tv_sec = timeout_ms / 1000,
		.tv_usec = (timeout_ms % 1000) * 1000,
	};
	char *buf = NULL, *nl = NULL;
	size_t len = 0, cap = 0;
	int fd, rc;

	*resp = NULL;
	*resp_len = 0;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		rc = -errno;
		goto out;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	rc = write_all(fd, req, strlen(req));
	if (!rc)
		rc = write_all(fd, "\n", 1);
	while (!rc && !nl) {
		ssize_t n;

		if (len + 1 >= cap) {
			size_t ncap = cap ? cap * 2 : 65536;
			char *nb;

			if (ncap > IPCCLIENT_MAX_RESPONSE) {
				rc = -EMSGSIZE;
				break;
			}
			nb = realloc(buf, ncap);
			if (!nb) {
				rc = -ENOMEM;
				break;
			}
			buf = nb;
			cap = ncap;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = errno == EAGAIN ? -ETIMEDOUT : -errno;
			break;
		}
		if (n == 0) {
			rc = -ECONNRESET;
			break;
		}
		nl = memchr(buf + len, '\n', (size_t)n);
		len += (size_t)n;
	}
	if (!rc) {
		len = (size_t)(nl - buf);
		buf[len] = '\0';
		*resp = buf;
		*resp_len = len;
		buf = NULL;
	}
out:
	close(fd);
	free(buf);
	return rc;
}
