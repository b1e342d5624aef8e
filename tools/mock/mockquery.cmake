# The mock's query engines (views, N1QL, sample data) as one static library,
# `sofa_mock_query`. Included by tools/mock/CMakeLists.txt (linked into sofa-mock)
# and by tests/mockquery (unit tests with a fake store). The store_api.h functions
# (mock_cluster_bucket, mock_bucket_*, mock_strbuf_append) are provided by whoever
# links it: the mock's store, or tests/mockquery/fake_store.c.
if(NOT TARGET sofa_mock_query)
  pkg_check_modules(DUKTAPE REQUIRED IMPORTED_TARGET GLOBAL duktape)
  set(SOFA_MOCK_QUERY_DIR ${CMAKE_CURRENT_LIST_DIR} CACHE INTERNAL "")
  add_library(sofa_mock_query STATIC
    ${CMAKE_CURRENT_LIST_DIR}/collation.c
    ${CMAKE_CURRENT_LIST_DIR}/query_util.c
    ${CMAKE_CURRENT_LIST_DIR}/view_query.c
    ${CMAKE_CURRENT_LIST_DIR}/view_js.c
    ${CMAKE_CURRENT_LIST_DIR}/view_exec.c
    ${CMAKE_CURRENT_LIST_DIR}/views.c
    ${CMAKE_CURRENT_LIST_DIR}/n1ql_lex.c
    ${CMAKE_CURRENT_LIST_DIR}/n1ql_parse.c
    ${CMAKE_CURRENT_LIST_DIR}/n1ql_eval.c
    ${CMAKE_CURRENT_LIST_DIR}/n1ql_exec.c
    ${CMAKE_CURRENT_LIST_DIR}/n1ql_request.c
    ${CMAKE_CURRENT_LIST_DIR}/n1ql_prepared.c
    ${CMAKE_CURRENT_LIST_DIR}/n1ql.c)
  target_include_directories(sofa_mock_query PUBLIC ${CMAKE_CURRENT_LIST_DIR})
  target_link_libraries(sofa_mock_query PUBLIC PkgConfig::JANSSON PkgConfig::DUKTAPE m)
endif()
