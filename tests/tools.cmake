# Python tools (tools/catex_reader.py, tools/catexplot, tools/figures/) and
# the figure jobs (jobs/figures/). Label `tools`; the end-to-end test that
# needs a working `catex run` is also labelled `e2e` and reports SKIP (77)
# only while `catex run` is a placeholder.
set(CATEX_PYTHON /usr/bin/python3)

catex_script_test(test_tools_reader
  COMMAND ${CATEX_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/test_tools_reader.py
  LABELS tools)
catex_script_test(test_tools_plots
  COMMAND ${CATEX_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/test_tools_plots.py
  LABELS tools)
catex_script_test(test_tools_fss
  COMMAND ${CATEX_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/test_tools_fss.py
  LABELS tools)
catex_script_test(test_tools_coexistence
  COMMAND ${CATEX_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/test_tools_coexistence.py
  LABELS tools)

# Static checks of jobs/figures/ (quick/paper pairs, sbatch scripts, cost
# comments); with the job-file test binary, also loads every job with the
# engine's own parser.
if(TARGET test_job_files)
  set(_tools_job_loader --job-loader $<TARGET_FILE:test_job_files>)
endif()
catex_script_test(test_tools_jobs
  COMMAND ${CATEX_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/test_tools_jobs.py ${_tools_job_loader}
  LABELS tools)

catex_script_test(test_tools_e2e
  COMMAND ${CATEX_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/test_tools_e2e.py --mpiexec ${MPIEXEC_EXECUTABLE}
  TIMEOUT 1200
  LABELS tools e2e)
set_tests_properties(test_tools_e2e PROPERTIES SKIP_RETURN_CODE 77)

# Exchange (replica-exchange) studies in tools/: reader, MBAR, mixing
# verdict, rung placement and the commands (fixture: tools_fixture.write_exchange).
catex_script_test(test_tools_exchange
  COMMAND ${CATEX_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/test_tools_exchange.py
  TIMEOUT 600
  LABELS tools)
