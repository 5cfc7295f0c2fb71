# Memory: node-shared V (bitwise identity, one solve per node), the memory
# estimate as an upper bound of the measured peak RSS and the --max-memory
# refusal, and the short-range path without any N x N array.
catex_script_test(test_memory_shared COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/test_memory_shared.sh
                  TIMEOUT 600 LABELS farm mpi)
catex_test(test_memory_area SOURCES test_memory_area.c)
catex_script_test(test_memory_estimate COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/test_memory_estimate.py
                  TIMEOUT 600 LABELS farm mpi)
catex_script_test(test_memory_short_range COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/test_memory_short_range.sh
                  TIMEOUT 600 LABELS farm)
catex_test(test_node_arena SOURCES test_node_arena.c NPROCS 3 LABELS mpi)
catex_test(test_memory_blocks SOURCES test_memory_blocks.c)
