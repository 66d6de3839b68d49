/* header.h: a bundle header that includes what its model file may not. */
#ifndef HEADER_H
#define HEADER_H
#include <pthread.h>                                /* expect: header */
#include "vitc_runtime.h"
int header_run(int x);
#endif
