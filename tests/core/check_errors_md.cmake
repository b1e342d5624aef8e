# cmake -DGEN=<gen_errors_md> -DDOC=<docs/errors.md> -DOUT=<scratch file> -P check_errors_md.cmake
execute_process(COMMAND ${GEN} OUTPUT_FILE ${OUT} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${GEN} failed: ${rc}")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files ${OUT} ${DOC} RESULT_VARIABLE diff)
if(NOT diff EQUAL 0)
  message(FATAL_ERROR "docs/errors.md is out of date with include/sofa/status.h.\n"
                      "Regenerate it with: cmake --build <build dir> --target errors_md")
endif()
message(STATUS "docs/errors.md matches the status table")
