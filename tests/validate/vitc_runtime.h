/* vitc_runtime.h: stands in for the runtime header every bundle has. */
#ifndef VITC_RUNTIME_H
#define VITC_RUNTIME_H
#define VITC_OK 0
#endif
