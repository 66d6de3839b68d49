/* writable.c: writable static storage of every kind, next to const look-alikes.
 * validate: --target scalar */
#include <stddef.h>
typedef struct State { int calls; float last; } State;

static int counter;                                 /* expect: no-writable-static */
static float buffer[16];                            /* expect: no-writable-static */
static const float *cursor;                         /* expect: no-writable-static */
static State state = {0, 0.0f};                     /* expect: no-writable-static */
static float grid[2][3];                            /* expect: no-writable-static */
float writable_scale = 1.0f;                        /* expect: no-writable-static */
extern int writable_shared;                         /* expect: no-writable-static */
static const float *const fixed = NULL;
static const float weights[3] = {1, 2, 3};
static const State initial = {0, 0.0f};
static const char *const labels[2] = {"x", "y"};
const float writable_gain = 2.0f;

int writable_run(float *out) {
  static int calls;                                 /* expect: no-writable-static */
  static const int limit = 8;
  int local = limit;
  calls++;
  counter++;
  buffer[0] = out[0];
  cursor = weights;
  state.calls++;
  grid[1][2] = *cursor + writable_scale + writable_gain + (float)writable_shared;
  out[0] = buffer[0] + grid[1][2] + (float)local + (fixed ? 1.0f : 0.0f) + (float)initial.calls + (float)labels[0][0];
  return calls;
}
