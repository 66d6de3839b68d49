/* recursion.c: direct, mutual and indirect (through a pointer) recursion, next to a call chain without a cycle.
 * validate: --target scalar */
static int fact(int n) { return n <= 1 ? 1 : n * fact(n - 1); } /* expect: no-recursion */

static int is_odd(int n);
static int is_even(int n) { return n == 0 ? 1 : is_odd(n - 1); } /* expect: no-recursion */
static int is_odd(int n) { return n == 0 ? 0 : is_even(n - 1); } /* expect: no-recursion */

static int ping(int n);
static int pong(int n);
static int pang(int n) { return n > 0 ? ping(n - 1) : 0; }      /* expect: no-recursion */
static int ping(int n) { return pong(n); }                      /* expect: no-recursion */
static int pong(int n) { return pang(n); }                      /* expect: no-recursion */

static int visit_node(int n);
static int (*const visitor)(int) = visit_node;
static int visit_node(int n) { return n > 0 ? visitor(n - 1) : 0; } /* expect: no-recursion */

static int leaf(int n) { return n + 1; }
static int middle(int n) { return leaf(n) + leaf(n + 1); }

int recursion_run(int n) { return fact(n) + is_even(n) + ping(n) + middle(n) + visit_node(n); }
