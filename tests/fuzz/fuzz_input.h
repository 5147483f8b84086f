/* SPDX-License-Identifier: BSD-3-Clause */
/* A fuzz target's input, read a field at a time: bytes past its end read as 0. */
#ifndef VNETIF_FUZZ_INPUT_H
#define VNETIF_FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>

struct input {
	const uint8_t *p;
	size_t n;
};

static inline uint8_t in_u8(struct input *in)
{
	if (in->n == 0)
		return 0;
	in->n--;
	return *in->p++;
}

static inline uint16_t in_u16(struct input *in)
{
	return (uint16_t)(in_u8(in) | in_u8(in) << 8);
}

#endif /* VNETIF_FUZZ_INPUT_H */
