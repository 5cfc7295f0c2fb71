# Memory: node-shared V (bitwise identity, one solve per node), the memory
# estimate as an upper bound of the measured peak RSS and the --max-memory
# refusal, and the short-range path without any N x N array.
catex_script_test(test_memory_shared COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/test_memory_shared.sh
                  TIMEOUT 600 LABELS farm mpi)
