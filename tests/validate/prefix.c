/* prefix.c: external symbols without the model's prefix (prefix_).
 * validate: --target scalar */
int helper(int x) { return x + 1; }                 /* expect: symbol-prefix */
const int table_size = 3;                           /* expect: symbol-prefix */
int prefixed_too_loosely(int x);                    /* expect: symbol-prefix */
static int private_helper(int x) { return x * 2; }
const int prefix_size = 3;
int prefix(int x) { return x; }
int prefix_run(int x) { return helper(x) + private_helper(x) + table_size + prefix_size + prefix(x); }
