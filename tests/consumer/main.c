/* tests/consumer/main.c: `classify IN.bin OUT.bin` runs the model compiled by
 * vitc_add_model() (NAME net) on one raw float32 input and writes its raw output.
 *
 * It uses only what a consumer gets from linking the library: the header on the
 * include path and the macros it defines, so a change to either breaks this build.
 * The input must be exactly NET_INPUT0_BYTES long (a wrong reference file must not
 * pass by being read short). */
#include <stdio.h>
#include <stdlib.h>

#include "net.h"

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
