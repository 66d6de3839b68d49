/* vla.c: stack arrays whose size is known only at run time.
 * validate: --target scalar */
int vla_run(const float *in, float *out, int n) {
  float tmp[n];                                     /* expect: no-vla */
  float fixed[4] = {0};
  typedef float row_t[n];                           /* expect: no-vla */
  float *scratch = __builtin_alloca(n * sizeof(float)); /* expect: no-vla */
  for (int i = 0; i < n; i++) tmp[i] = scratch[i] = in[i];
  out[0] = tmp[0] + fixed[0] + (float)sizeof(row_t);
  return 0;
}
