/* tests/consumer/main.c: `classify IN.bin OUT.bin` runs the model compiled by
 * vitc_add_model() (NAME net) on one raw float32 input and writes its raw output.
 *
 * It uses only what a consumer gets from linking the library: the header on the
 * include path and the macros it defines, so a change to either breaks this build.
 * The input must be exactly NET_INPUT0_BYTES long (a wrong reference file must not
 * pass by being read short).
 *
 * With vitc_add_model(... WEIGHTS FILE) the weights are in net.weights, at
 * NET_WEIGHTS_PATH (CMake gives it from the library's VITC_WEIGHTS_FILE); the
 * program maps the file, as a program on a small ARM board would (no copy in
 * memory, pages read as the model touches them), and binds it to the workspace. */
#if defined(NET_WEIGHTS_PATH)
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#endif
#include <stdio.h>
#include <stdlib.h>

#include "net.h"

#if defined(NET_WEIGHTS_PATH) != defined(NET_WEIGHTS_BYTES)
#error "NET_WEIGHTS_PATH is given exactly when the bundle was compiled with --weights file"
#endif

#if NET_NUM_INPUTS != 1 || NET_NUM_OUTPUTS != 1
#error "the consumer test runs models with one input and one output"
#endif
#if NET_INPUT0_DTYPE != VITC_DTYPE_FLOAT32 || NET_OUTPUT0_DTYPE != VITC_DTYPE_FLOAT32
#error "the consumer test runs float32 models"
#endif

static net_workspace workspace; /* NET_WORKSPACE_BYTES, 64-byte aligned */
static float input[NET_INPUT0_NUMEL], output[NET_OUTPUT0_NUMEL];

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s IN.bin OUT.bin (input '%s', %d bytes)\n", argv[0], NET_INPUT0_NAME,
            (int)NET_INPUT0_BYTES);
    return 2;
  }
  FILE *f = fopen(argv[1], "rb");
  if (!f || fread(input, 1, sizeof input, f) != sizeof input || fgetc(f) != EOF) {
    fprintf(stderr, "classify: %s must hold exactly %d bytes\n", argv[1], (int)NET_INPUT0_BYTES);
    return 1;
  }
  fclose(f);
#if defined(NET_WEIGHTS_PATH)
  int fd = open(NET_WEIGHTS_PATH, O_RDONLY);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0) {
    fprintf(stderr, "classify: cannot open %s\n", NET_WEIGHTS_PATH);
    return 1;
  }
  void *weights = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0); /* page-aligned */
  close(fd);
  if (weights == MAP_FAILED) {
    fprintf(stderr, "classify: cannot map %s\n", NET_WEIGHTS_PATH);
    return 1;
  }
  int wrc = net_bind_weights(&workspace, weights, (size_t)st.st_size);
  if (wrc != VITC_OK) {
    fprintf(stderr, "classify: %s: net_bind_weights returned %d\n", NET_WEIGHTS_PATH, wrc);
    return 1;
  }
#endif
  net_inputs in;
  net_outputs out;
  in.NET_INPUT0_FIELD = input;
  out.NET_OUTPUT0_FIELD = output;
  int rc = net_run(&in, &out, &workspace);
  if (rc != VITC_OK) {
    fprintf(stderr, "classify: net_run returned %d\n", rc);
    return 1;
  }
  f = fopen(argv[2], "wb");
  if (!f || fwrite(output, 1, sizeof output, f) != sizeof output || fclose(f) != 0) {
    fprintf(stderr, "classify: cannot write %s\n", argv[2]);
    return 1;
  }
  return 0;
}
