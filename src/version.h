/* version.h - the release version, reported by `ltmc version`, serverInfo
 * and doctor. */
#ifndef LTMC_VERSION
#define LTMC_VERSION "0.1.0"
#endif
