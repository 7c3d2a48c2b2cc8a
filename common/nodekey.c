/* SPDX-License-Identifier: MIT */
/* common/nodekey.c - geth node key files (--nodekey) and --nodekeyhex. */
#include "common/nodekey.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/hex.h"
#include "common/secp.h"

int nodekey_parse_hex(uint8_t priv[NODEKEY_LEN], const char *hex, size_t len)
{
	uint8_t k[NODEKEY_LEN];
	int rc = 0;

	/* 64 digits exactly; hex_decode() would also skip a "0x", which
	 * geth's hex.DecodeString does not, so reject it here. */
	if (len != NODEKEY_HEX_LEN || (hex[0] == '0' && (hex[1] | 0x20) == 'x'))
		return -EBADMSG;
	if (hex_decode(k, sizeof(k), hex, len) != NODEKEY_LEN ||
	    !secp_priv_check(k)) {
		rc = -EBADMSG;
		goto out;
	}
	memcpy(priv, k, NODEKEY_LEN);
out:
	explicit_bzero(k, sizeof(k));
	return rc;
}

int nodekey_load(uint8_t priv[NODEKEY_LEN], const char *path)
{
	char buf[NODEKEY_HEX_LEN + 2];          /* one extra to see overlong */
	size_t len = 0;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (len < sizeof(buf)) {
		ssize_t n = read(fd, buf + len, sizeof(buf) - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			close(fd);
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (len == NODEKEY_HEX_LEN + 1 && buf[NODEKEY_HEX_LEN] == '\n')
		len--;
	rc = len == NODEKEY_HEX_LEN ? nodekey_parse_hex(priv, buf, len) :
				      -EBADMSG;
out:
	explicit_bzero(buf, sizeof(buf));
	return rc;
}

static int fsync_dir_of(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int fd, rc = 0;

	if (!slash) {
		strcpy(dir, ".");
	} else if (slash == path) {
		strcpy(dir, "/");
	} else {
		if ((size_t)(slash - path) >= sizeof(dir))
			return -ENAMETOOLONG;
		memcpy(dir, path, (size_t)(slash - path));
		dir[slash - path] = '\0';
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

/* Writes the key to a fresh 0600 temporary file beside path, then moves it
 * into place: rename() when replacing is wanted, link() when it must not
 * replace (link fails with EEXIST, atomically). */
static int store(const char *path, const uint8_t priv[NODEKEY_LEN],
		 bool replace)
{
	char tmp[PATH_MAX];
	char hex[NODEKEY_HEX_LEN + 1];
	size_t off = 0;
	int fd, rc = 0;

	if (!secp_priv_check(priv))
		return -EINVAL;
	if (snprintf(tmp, sizeof(tmp), "%s.tmp-XXXXXX", path) >=
	    (int)sizeof(tmp))
		return -ENAMETOOLONG;
	/* mkostemp() opens with O_CREAT|O_EXCL and mode 0600. */
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fchmod(fd, S_IRUSR | S_IWUSR) < 0) {
		rc = -errno;
		goto out_unlink;
	}
	hex_encode(hex, priv, NODEKEY_LEN);
	while (off < NODEKEY_HEX_LEN) {
		ssize_t n = write(fd, hex + off, NODEKEY_HEX_LEN - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			goto out_unlink;
		}
		off += (size_t)n;
	}
	if (fsync(fd) < 0) {
		rc = -errno;
		goto out_unlink;
	}
	close(fd);
	fd = -1;
	if (replace) {
		if (rename(tmp, path) < 0) {
			rc = -errno;
			goto out_unlink;
		}
	} else {
		if (link(tmp, path) < 0) {
			rc = -errno;
			goto out_unlink;
		}
		unlink(tmp);
	}
	rc = fsync_dir_of(path);
	goto out;
out_unlink:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
out:
	explicit_bzero(hex, sizeof(hex));
	return rc;
}

int nodekey_save(const char *path, const uint8_t priv[NODEKEY_LEN])
{
	return store(path, priv, true);
}

int nodekey_load_or_generate(uint8_t priv[NODEKEY_LEN], const char *path)
{
	uint8_t k[NODEKEY_LEN];
	int rc;

	rc = nodekey_load(priv, path);
	if (rc != -ENOENT)
		return rc;
	rc = secp_priv_generate(k);
	if (rc < 0)
		goto out;
	rc = store(path, k, false);
	if (rc == -EEXIST) {
		/* Another process won the race: use its key. */
		rc = nodekey_load(priv, path);
		goto out;
	}
	if (rc == 0)
		memcpy(priv, k, NODEKEY_LEN);
out:
	explicit_bzero(k, sizeof(k));
	return rc;
}
