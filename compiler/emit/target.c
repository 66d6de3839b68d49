/* emit/target.c: the target table. */
#include "emit/target.h"

#include <string.h>

static const Target targets[] = {
    {"scalar", "scalar", NULL, "", 16},
};

const Target *target_find(const char *name) {
  for (unsigned i = 0; i < sizeof targets / sizeof targets[0]; i++)
    if (strcmp(targets[i].name, name) == 0) return &targets[i];
  return NULL;
}

const char *target_names(void) { return "scalar"; }
