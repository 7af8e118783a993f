/*
 * util/error.c - names and messages of the error codes declared once in
 * utmost/common.h (UT_ERRNO_MAP).
 */
#include "util/setup.h"

#include "utmost/common.h"

const char *
ut_strerror(int err)
{
    switch (err) {
    case UT_OK:
        return "success";
#define UT__ERR_MSG(name, value, msg)                                                              \
    case UT_E##name:                                                                               \
        return msg;
        UT_ERRNO_MAP(UT__ERR_MSG)
#undef UT__ERR_MSG
    default:
        return "unknown error";
    }
}

const char *
ut_err_name(int err)
{
    switch (err) {
    case UT_OK:
        return "UT_OK";
#define UT__ERR_NAME(name, value, msg)                                                             \
    case UT_E##name:                                                                               \
        return "UT_E" #name;
        UT_ERRNO_MAP(UT__ERR_NAME)
#undef UT__ERR_NAME
    default:
        return "UT_EUNKNOWN";
    }
}
