/* The entry point of libexaminer-opencl.so: describes the OpenCL backend to the core that loads it.
 */
#include "backend_opencl.h"
#include "backend_plugin.h"

const exam_plugin_api *exam_plugin_get_api(const exam_plugin_host *host) {
    static const exam_plugin_api api = {
        .abi = EXAM_PLUGIN_ABI,
        .backend_size = sizeof(exam_backend),
        .ops_size = sizeof(exam_backend_ops),
        .options_size = sizeof(exam_backend_options),
        .name = "opencl",
        .backend_create = exam_backend_opencl_create,
        .kernels_check = exam_opencl_check_kernels,
    };
    if (host && host->abi == EXAM_PLUGIN_ABI) exam_plugin_host_set(host);
    return &api;
}
