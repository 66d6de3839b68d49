/* other.h: a header next to the bundle that is not one of its own. */
#ifndef OTHER_H
#define OTHER_H
#endif
