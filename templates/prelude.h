/* templates/prelude.h: the common head of every kernel template.
 *
 * The emitter pastes this once at the top of a generated model file, before the
 * kernel templates the model needs. Templates include it with a quoted include so
 * that each compiles and is unit-tested on its own; the emitter drops every
 * quoted #include line when it pastes a template into a bundle.
 *
 * Everything here must stay C99 and free of I/O and allocation. */
#ifndef VITC_PRELUDE_H
#define VITC_PRELUDE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <math.h>
#include <float.h>

#if defined(__GNUC__) || defined(__clang__)
#define VITC_RESTRICT __restrict__
#define VITC_UNUSED __attribute__((unused))
#else
#define VITC_RESTRICT
#define VITC_UNUSED
#endif

/* Kernels are static: a bundle exports only its model's prefixed symbols.
 * VITC_UNUSED silences -Wunused-function for helpers a model does not call.
 * -DVITC_PROFILE keeps each kernel a function of its own, so a sampling profiler
 * attributes time per kernel (bench/profile.sh; measured to cost no speed). */
#if defined(VITC_PROFILE) && (defined(__GNUC__) || defined(__clang__))
#define VITC_KERNEL static VITC_UNUSED __attribute__((noinline))
#else
#define VITC_KERNEL static VITC_UNUSED
#endif

/* Most tensors in a ViT have rank <= 4; 8 leaves room for the exporters' reshapes. */
#define VITC_MAX_RANK 8

#endif
