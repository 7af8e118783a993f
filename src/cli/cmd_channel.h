/*
 * cli/cmd_channel.h - `utmost channel`: classify one landing URL (and its
 * referrer) into source, medium and GA4 channel group, printed as JSON.
 */
#ifndef UT_CLI_CMD_CHANNEL_H
#define UT_CLI_CMD_CHANNEL_H

#include "cli/cli.h"

extern const struct cli_cmd cli_cmd_channel;

#endif /* UT_CLI_CMD_CHANNEL_H */
