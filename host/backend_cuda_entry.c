/* The entry point of libexaminer-cuda.so: describes the CUDA backend to the core that loads it. */
#include "backend_cuda.h"
#include "backend_plugin.h"

const exam_plugin_api *exam_plugin_get_api(const exam_plugin_host *host) {
    static const exam_plugin_api api = {
        .abi = EXAM_PLUGIN_ABI,
        .backend_size = sizeof(exam_backend),
        .ops_size = sizeof(exam_backend_ops),
        .options_size = sizeof(exam_backend_options),
        .name = "cuda",
        .backend_create = exam_backend_cuda_create,
        .kernels_check = NULL,
    };
    if (host && host->abi == EXAM_PLUGIN_ABI) exam_plugin_host_set(host);
    return &api;
}
