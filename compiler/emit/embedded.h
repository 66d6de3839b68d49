/* Files built into the compiler: kernel templates and the runtime (see compiler/tools/embed.c). */
#ifndef VITC_EMBEDDED_H
#define VITC_EMBEDDED_H

typedef struct EmbeddedFile {
  const char *path; /* relative to the source root, e.g. "templates/gemm/f32-gemm-scalar.c" */
  const char *text;
} EmbeddedFile;

/* Terminated by an entry whose path is NULL. */
extern const EmbeddedFile vitc_embedded_files[];

/* The text of an embedded file, or NULL. */
const char *embedded_file(const char *path);

#endif
