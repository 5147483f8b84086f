/* SPDX-License-Identifier: BSD-3-Clause */
/* Impairment specs as text: "loss=0.01,delay=1ms,seed=7" <-> struct vnetif_impair. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "impair.h"
#include "vnetif.h"

struct unit {
	const char *suffix;
	uint64_t mul;
};

static const struct unit time_units[] = {
	{"ns", 1}, {"us", 1000}, {"ms", 1000000}, {"s", 1000000000}, {"", 1}, {NULL, 0}};
static const struct unit byte_units[] = {
	{"K", 1024}, {"M", 1024 * 1024}, {"G", 1024ull * 1024 * 1024}, {"", 1}, {NULL, 0}};
static const struct unit rate_units[] = {
	{"k", 1000}, {"m", 1000000}, {"g", 1000000000}, {"", 1}, {NULL, 0}};

/* A non-negative number with one of @units; the longest matching suffix wins. */
static int parse_num(const char *v, const struct unit *units, uint64_t *out)
{
	char *end;
	double d;

	if (v == NULL || *v == '\0' || *v == '-')
		return -EINVAL;
	d = strtod(v, &end);
	if (end == v || !isfinite(d) || d < 0)
		return -EINVAL;
	for (const struct unit *u = units; u->suffix; u++) {
		if (strcasecmp(end, u->suffix) == 0 ||
		    (units == rate_units && *u->suffix && strncasecmp(end, u->suffix, 1) == 0 &&
		     strcasecmp(end + 1, "bit") == 0)) {
			d *= (double)u->mul;
			if (d >= 1.8e19)
				return -EINVAL;
			*out = (uint64_t)llround(d);
			return 0;
		}
	}
	return -EINVAL;
}

static int parse_prob(const char *v, double *out)
{
	char *end;
	double d;

	if (v == NULL || *v == '\0')
		return -EINVAL;
	d = strtod(v, &end);
	if (*end == '%') {
		d /= 100;
		end++;
	}
	if (end == v || *end != '\0' || !(d >= 0 && d <= 1))
		return -EINVAL;
	*out = d;
	return 0;
}

static int parse_u32(const char *v, const struct unit *units, uint32_t *out)
{
	uint64_t x;
	int rc = parse_num(v, units, &x);

	if (rc == 0 && x > UINT32_MAX)
		rc = -EINVAL;
	if (rc == 0)
		*out = (uint32_t)x;
	return rc;
}

static int parse_one(char *key, char *val, struct vnetif_impair *im)
{
	if (strcmp(key, "down") == 0 && val == NULL)
		return im->link_down = true, 0;
	if (strcmp(key, "off") == 0 && val == NULL)
		return im->enabled = false, 0;
	if (strcmp(key, "seed") == 0) {
		char *end;

		if (val == NULL || *val == '\0' || *val == '-')
			return -EINVAL;
		im->seed = strtoull(val, &end, 0);
		return *end ? -EINVAL : 0;
	}
	if (strcmp(key, "loss") == 0)
		return parse_prob(val, &im->loss);
	if (strcmp(key, "small_loss") == 0)
		return parse_prob(val, &im->small_loss);
	if (strcmp(key, "corrupt") == 0)
		return parse_prob(val, &im->corrupt);
	if (strcmp(key, "dup") == 0)
		return parse_prob(val, &im->duplicate);
	if (strcmp(key, "reorder") == 0)
		return parse_prob(val, &im->reorder);
	if (strcmp(key, "small_len") == 0)
		return parse_u32(val, byte_units, &im->small_len);
	if (strcmp(key, "max_frame") == 0)
		return parse_u32(val, byte_units, &im->max_frame);
	if (strcmp(key, "pad") == 0)
		return parse_u32(val, byte_units, &im->pad_max);
	if (strcmp(key, "burst") == 0)
		return parse_u32(val, byte_units, &im->burst_bytes);
	if (strcmp(key, "queue") == 0)
		return parse_u32(val, byte_units, &im->queue_limit);
	if (strcmp(key, "cut_after") == 0)
		return parse_num(val, byte_units, &im->cut_after_bytes);
	if (strcmp(key, "cut") == 0)
		return parse_num(val, time_units, &im->cut_ns);
	if (strcmp(key, "delay") == 0)
		return parse_num(val, time_units, &im->delay_ns);
	if (strcmp(key, "jitter") == 0)
		return parse_num(val, time_units, &im->jitter_ns);
	if (strcmp(key, "reorder_delay") == 0)
		return parse_num(val, time_units, &im->reorder_ns);
	if (strcmp(key, "rate") == 0)
		return parse_num(val, rate_units, &im->rate_bps);
	return -EINVAL;
}

VNETIF_API int vnetif_impair_parse(const char *spec, struct vnetif_impair *out)
{
	struct vnetif_impair im;
	char *copy, *save = NULL, *tok;
	int rc = 0;

	if (spec == NULL || out == NULL)
		return -EINVAL;
	vnetif_impair_init(&im);
	copy = strdup(spec);
	if (copy == NULL)
		return -ENOMEM;
	for (tok = strtok_r(copy, ",", &save); tok && rc == 0; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');

		if (eq)
			*eq++ = '\0';
		if (strcmp(tok, "none") == 0 && eq == NULL)
			continue;
		rc = parse_one(tok, eq, &im);
	}
	free(copy);
	if (rc == 0 && (im.queue_limit == 0 || im.queue_limit > 65536))
		rc = -EINVAL;
	if (rc == 0)
		*out = im;
	return rc;
}

/* A time in the largest unit that keeps it whole. */
static void fmt_time(char *b, size_t n, uint64_t ns)
{
	if (ns && ns % 1000000000ull == 0)
		snprintf(b, n, "%" PRIu64 "s", ns / UINT64_C(1000000000));
	else if (ns && ns % 1000000 == 0)
		snprintf(b, n, "%" PRIu64 "ms", ns / 1000000);
	else if (ns && ns % 1000 == 0)
		snprintf(b, n, "%" PRIu64 "us", ns / 1000);
	else
		snprintf(b, n, "%" PRIu64 "ns", ns);
}

VNETIF_API int vnetif_impair_format(const struct vnetif_impair *im, char *buf, size_t size)
{
	struct vnetif_impair def;
	char out[512] = "", t[32];
	size_t len = 0;

	if (im == NULL || (buf == NULL && size > 0))
		return -EINVAL;
	vnetif_impair_init(&def);
#define ADD(...) (len += (size_t)snprintf(out + len, sizeof(out) - RTE_MIN(len, sizeof(out)), \
					  "%s" __VA_ARGS__))
#define SEP (len ? "," : "")
	if (!im->enabled)
		ADD("off", SEP);
	if (im->link_down)
		ADD("down", SEP);
	if (im->seed)
		ADD("seed=%" PRIu64, SEP, im->seed);
	if (im->max_frame)
		ADD("max_frame=%u", SEP, im->max_frame);
	if (im->pad_max)
		ADD("pad=%u", SEP, im->pad_max);
	if (im->loss > 0)
		ADD("loss=%g", SEP, im->loss);
	if (im->small_loss > 0)
		ADD("small_loss=%g,small_len=%u", SEP, im->small_loss, im->small_len);
	if (im->cut_after_bytes) {
		fmt_time(t, sizeof(t), im->cut_ns);
		ADD("cut_after=%" PRIu64 ",cut=%s", SEP, im->cut_after_bytes, t);
	}
	if (im->corrupt > 0)
		ADD("corrupt=%g", SEP, im->corrupt);
	if (im->duplicate > 0)
		ADD("dup=%g", SEP, im->duplicate);
	if (im->rate_bps)
		ADD("rate=%" PRIu64, SEP, im->rate_bps);
	if (im->burst_bytes)
		ADD("burst=%u", SEP, im->burst_bytes);
	if (im->delay_ns) {
		fmt_time(t, sizeof(t), im->delay_ns);
		ADD("delay=%s", SEP, t);
	}
	if (im->jitter_ns) {
		fmt_time(t, sizeof(t), im->jitter_ns);
		ADD("jitter=%s", SEP, t);
	}
	if (im->reorder > 0)
		ADD("reorder=%g", SEP, im->reorder);
	if (im->reorder_ns != def.reorder_ns) {
		fmt_time(t, sizeof(t), im->reorder_ns);
		ADD("reorder_delay=%s", SEP, t);
	}
	if (im->queue_limit != def.queue_limit)
		ADD("queue=%u", SEP, im->queue_limit);
	if (len == 0)
		ADD("none", "");
#undef ADD
#undef SEP
	return snprintf(buf, size, "%s", out);
}
