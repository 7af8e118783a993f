/*
 * utmost/utmost.h - umbrella header of libutmost.
 */
#ifndef UT_UTMOST_H
#define UT_UTMOST_H

#include "utmost/common.h"
#include "utmost/attribution.h"

#define UT_VERSION "0.1.0"

#endif /* UT_UTMOST_H */
