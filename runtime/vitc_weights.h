/* vitc_weights.h: the weights file of `vitc compile --weights file`, DIR/NAME.weights.
 *
 * A big model's weights are data, not code: a C compiler parses ViT-Base's 346 MB
 * as a 1 GB string literal in tens of seconds and gigabytes of memory, while the
 * bundle can just as well read them from a file the program loads (reads into
 * memory aligned to 64 bytes, or maps). The file, little-endian:
 *
 *   offset  0   8 bytes  magic: "vitcWTS" and a 0x1a (VITC_WEIGHTS_MAGIC)
 *   offset  8   u32      format version (VITC_WEIGHTS_VERSION)
 *   offset 12   u32      header bytes (VITC_WEIGHTS_HEADER, 64)
 *   offset 16   u64      payload bytes (the tensors after the header)
 *   offset 24   u64      model id: vitc_weights_hash of the payload checksum, the
 *                        weights' names, types and offsets, and the model's code,
 *                        computed by the compile that wrote the file and compiled
 *                        into its bundle (NAME_WEIGHTS_ID)
 *   offset 32   u64      payload checksum: vitc_weights_hash of the payload
 *   offset 40   24 bytes zero
 *   offset 64   the tensors, as the kernels read them (GEMM weights packed for the
 *               target), each at a multiple of 64 bytes from the file's start,
 *               zeros between them
 *
 * The header is 64 bytes, so in a file loaded at a 64-byte boundary every tensor
 * is aligned for any vector load. The model id makes a bundle refuse another
 * model's file, and another compile's of the same model (whose packing or layout
 * may differ); the checksum catches a damaged payload. Neither is cryptographic:
 * they catch mix-ups and corruption, not tampering.
 *
 * This file is pasted into a model file compiled with --weights file (so its
 * functions are static) and included by vitc itself, so the compiler that writes
 * the file and the bundle that reads it share one definition. It uses only
 * <stddef.h>, <stdint.h> and the codes of vitc_runtime.h. */
#ifndef VITC_WEIGHTS_H
#define VITC_WEIGHTS_H

#define VITC_WEIGHTS_MAGIC "vitcWTS\032"
#define VITC_WEIGHTS_VERSION 1
#define VITC_WEIGHTS_HEADER 64
#define VITC_WEIGHTS_ALIGN 64

/* vitc itself uses only some of these functions */
#if defined(__GNUC__) || defined(__clang__)
#define VITC_WEIGHTS_FN static __attribute__((unused))
#else
#define VITC_WEIGHTS_FN static
#endif

/* Little-endian loads and stores, whatever the host (the compiler may run on any). */
VITC_WEIGHTS_FN uint64_t vitc_weights_get64(const unsigned char *p) {
  return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 | (uint64_t)p[3] << 24 | (uint64_t)p[4] << 32 |
         (uint64_t)p[5] << 40 | (uint64_t)p[6] << 48 | (uint64_t)p[7] << 56;
}

VITC_WEIGHTS_FN uint32_t vitc_weights_get32(const unsigned char *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* A 64-bit hash of n bytes, continuing from state s (start with VITC_WEIGHTS_SEED_INIT).
 * Four lanes of 8-byte words multiply-xorshift mixed, so it runs at memory speed;
 * a stream hashed in pieces of multiples of 32 bytes gives the same state as in
 * one piece. vitc_weights_hash_end turns a state and the total length into the
 * hash. */
#define VITC_WEIGHTS_SEED_INIT {0x9e3779b97f4a7c15u, 0xc2b2ae3d27d4eb4fu, 0x165667b19e3779f9u, 0x27d4eb2f165667c5u}
typedef struct vitc_weights_state {
  uint64_t lane[4];
} vitc_weights_state;

VITC_WEIGHTS_FN uint64_t vitc_weights_mix(uint64_t h, uint64_t w) {
  h = (h ^ w) * 0xff51afd7ed558ccdu;
  return h ^ (h >> 32);
}

/* n is a multiple of 32 except in the last piece of a stream. */
VITC_WEIGHTS_FN void vitc_weights_hash_add(vitc_weights_state *s, const unsigned char *p, size_t n) {
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    s->lane[0] = vitc_weights_mix(s->lane[0], vitc_weights_get64(p + i));
    s->lane[1] = vitc_weights_mix(s->lane[1], vitc_weights_get64(p + i + 8));
    s->lane[2] = vitc_weights_mix(s->lane[2], vitc_weights_get64(p + i + 16));
    s->lane[3] = vitc_weights_mix(s->lane[3], vitc_weights_get64(p + i + 24));
  }
  for (; i < n; i++) s->lane[i % 4] = vitc_weights_mix(s->lane[i % 4], p[i]);
}

VITC_WEIGHTS_FN uint64_t vitc_weights_hash_end(const vitc_weights_state *s, uint64_t total) {
  uint64_t h = vitc_weights_mix(total, s->lane[0]);
  h = vitc_weights_mix(h, s->lane[1]);
  h = vitc_weights_mix(h, s->lane[2]);
  h = vitc_weights_mix(h, s->lane[3]);
  return vitc_weights_mix(h, h >> 29);
}

/* The header checks of NAME_bind_weights: the bytes are a weights file of this
 * format, for the model whose id and payload size are given, and exactly as long
 * as its header says. Touches only the header. */
VITC_WEIGHTS_FN int vitc_weights_check_header(const void *bytes, size_t len, uint64_t id, uint64_t payload) {
  const unsigned char *p = (const unsigned char *)bytes;
  const char *magic = VITC_WEIGHTS_MAGIC;
  size_t i;
  if (!p) return VITC_ERR_NULL;
  if ((uintptr_t)p % VITC_WEIGHTS_ALIGN) return VITC_ERR_WEIGHTS_ALIGN;
  for (i = 0; i < 8 && i < len; i++)
    if (p[i] != (unsigned char)magic[i]) return VITC_ERR_WEIGHTS_MAGIC;
  if (len < VITC_WEIGHTS_HEADER) return VITC_ERR_WEIGHTS_TRUNCATED;
  if (vitc_weights_get32(p + 8) != VITC_WEIGHTS_VERSION || vitc_weights_get32(p + 12) != VITC_WEIGHTS_HEADER)
    return VITC_ERR_WEIGHTS_VERSION;
  if (vitc_weights_get64(p + 24) != id || vitc_weights_get64(p + 16) != payload) return VITC_ERR_WEIGHTS_MODEL;
  if (len - VITC_WEIGHTS_HEADER < payload) return VITC_ERR_WEIGHTS_TRUNCATED;
  if (len - VITC_WEIGHTS_HEADER > payload) return VITC_ERR_WEIGHTS_SIZE;
  return VITC_OK;
}

/* The header checks, then the payload against the header's checksum (reads every byte). */
VITC_WEIGHTS_FN int vitc_weights_check_all(const void *bytes, size_t len, uint64_t id, uint64_t payload) {
  vitc_weights_state s = {VITC_WEIGHTS_SEED_INIT};
  int rc = vitc_weights_check_header(bytes, len, id, payload);
  if (rc != VITC_OK) return rc;
  vitc_weights_hash_add(&s, (const unsigned char *)bytes + VITC_WEIGHTS_HEADER, (size_t)payload);
  if (vitc_weights_hash_end(&s, payload) != vitc_weights_get64((const unsigned char *)bytes + 32))
    return VITC_ERR_WEIGHTS_CHECKSUM;
  return VITC_OK;
}

#endif /* VITC_WEIGHTS_H */
