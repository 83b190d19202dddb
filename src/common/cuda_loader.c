/* Loads the CUDA backend from its plugin, so libim2win itself never links
 * CUDA and runs on hosts without a driver.  A loaded plugin stays loaded:
 * the CUDA runtime does not support being unloaded from a live process. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/front.h"

#ifndef I2W_PKGLIBDIR
#define I2W_PKGLIBDIR "/usr/local/lib/im2win"
#endif

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char loaded_path[4096];
static const i2w_backend_ops *loaded_ops;

static const i2w_backend_ops *load(const char *path, char *why,
                                   size_t whylen)
{
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *e = dlerror();
        snprintf(why, whylen, "cannot load the CUDA plugin %s: %s", path,
                 e ? e : "unknown dlopen error");
        return NULL;
    }
    i2w_plugin_entry_fn entry;
    /* ISO C has no function-pointer conversion from void *: copy bytes */
    void *sym = dlsym(h, I2W_PLUGIN_ENTRY);
    if (!sym) {
        snprintf(why, whylen, "%s is not an im2win CUDA plugin (no symbol "
                 "%s)", path, I2W_PLUGIN_ENTRY);
        dlclose(h);
        return NULL;
    }
    memcpy(&entry, &sym, sizeof entry);
    const i2w_backend_ops *ops = entry(I2W_BACKEND_ABI);
    if (!ops || ops->abi != I2W_BACKEND_ABI ||
        ops->kind != I2W_BACKEND_CUDA) {
        snprintf(why, whylen, "the CUDA plugin %s was built for another "
                 "version of im2win (backend ABI %u expected)", path,
                 I2W_BACKEND_ABI);
        dlclose(h);
        return NULL;
    }
    return ops;
}

const i2w_backend_ops *i2w_cuda_plugin_load(char *why, size_t whylen)
{
    const char *env = getenv("IM2WIN_CUDA_PLUGIN");
    const char *path = env && *env ? env : I2W_PKGLIBDIR "/libim2win-cuda.so";
    if (strlen(path) >= sizeof loaded_path) {
        snprintf(why, whylen, "CUDA plugin path too long");
        return NULL;
    }
    pthread_mutex_lock(&lock);
    const i2w_backend_ops *ops = NULL;
    if (loaded_ops && strcmp(path, loaded_path) == 0) {
        ops = loaded_ops;
    } else if ((ops = load(path, why, whylen))) {
        loaded_ops = ops;
        strcpy(loaded_path, path);
    }
    pthread_mutex_unlock(&lock);
    return ops;
}
