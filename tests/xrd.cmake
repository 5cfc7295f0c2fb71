# Python XRD and interdiffusion tools (tools/xrd/, catexplot xrd / diffusion).
# Label `tools`; test_tools_elastic_u also compares with `catex potential`.
set(CATEX_PYTHON /usr/bin/python3)

catex_script_test(test_tools_xrd
  COMMAND ${CATEX_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/test_tools_xrd.py
  TIMEOUT 600
  LABELS tools)
catex_script_test(test_tools_elastic_u
  COMMAND ${CATEX_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/test_tools_elastic_u.py --catex $<TARGET_FILE:catex>
  LABELS tools)
catex_script_test(test_tools_diffusion
  COMMAND ${CATEX_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/test_tools_diffusion.py
  LABELS tools)
catex_script_test(test_tools_xrd_plots
  COMMAND ${CATEX_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/test_tools_xrd_plots.py
  TIMEOUT 600
  LABELS tools)
