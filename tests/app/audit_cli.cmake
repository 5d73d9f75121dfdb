# End-to-end check of `cxmpute replay --data` and `cxmpute audit` (ctest: app.audit_cli).
#   cmake -DCXMPUTE=<binary> -DDATA=<tests/app/data> -DWORK=<scratch dir> -P audit_cli.cmake

function(expect what got want)
  if(NOT "${got}" STREQUAL "${want}")
    message(FATAL_ERROR "audit_cli: ${what}: got '${got}', want '${want}'")
  endif()
endfunction()

set(dir "${WORK}/audit-data")
file(REMOVE_RECURSE "${dir}")

# Journal the story into a data directory, then audit it.
execute_process(COMMAND "${CXMPUTE}" replay "${DATA}/story.jsonl" --data "${dir}"
                OUTPUT_QUIET ERROR_QUIET RESULT_VARIABLE rc)
expect("replay --data exit code" "${rc}" "0")
execute_process(COMMAND "${CXMPUTE}" audit "${dir}" OUTPUT_VARIABLE out RESULT_VARIABLE rc)
expect("audit exit code" "${rc}" "0")
if(NOT out MATCHES "\"ok\":true" OR NOT out MATCHES "\"lastSeq\":15")
  message(FATAL_ERROR "audit_cli: unexpected audit of the story: ${out}")
endif()

# A second run continues the same directory: sequence numbers go on from 15.
execute_process(COMMAND "${CXMPUTE}" replay "${DATA}/story.jsonl" --data "${dir}"
                OUTPUT_VARIABLE out ERROR_QUIET RESULT_VARIABLE rc)
expect("second replay exit code" "${rc}" "0")
if(NOT out MATCHES "\"seq\":16,")
  message(FATAL_ERROR "audit_cli: the second run did not continue at seq 16")
endif()
execute_process(COMMAND "${CXMPUTE}" audit "${dir}" OUTPUT_VARIABLE out RESULT_VARIABLE rc)
expect("audit exit code after the second run" "${rc}" "0")

# A damaged record in the middle of the journal: the audit refuses to guess.
file(GLOB segments "${dir}/journal/*.log")
list(GET segments 0 seg)
file(READ "${seg}" hex HEX)
string(LENGTH "${hex}" n)
math(EXPR mid "${n} / 2")
math(EXPR mid "${mid} - (${mid} % 2)")
string(SUBSTRING "${hex}" 0 ${mid} head)
math(EXPR rest "${mid} + 2")
string(SUBSTRING "${hex}" ${rest} -1 tail)
string(SUBSTRING "${hex}" ${mid} 2 byte)
if(byte STREQUAL "00")
  set(flipped "ff")
else()
  set(flipped "00")
endif()
file(WRITE "${WORK}/damaged.hex" "${head}${flipped}${tail}")
execute_process(COMMAND /usr/bin/python3 -c
                "import sys;open(sys.argv[2],'wb').write(bytes.fromhex(open(sys.argv[1]).read()))"
                "${WORK}/damaged.hex" "${seg}" RESULT_VARIABLE rc)
expect("writing the damaged segment" "${rc}" "0")
execute_process(COMMAND "${CXMPUTE}" audit "${dir}" OUTPUT_VARIABLE out RESULT_VARIABLE rc)
expect("audit exit code on a damaged journal" "${rc}" "1")
if(NOT out MATCHES "\"ok\":false")
  message(FATAL_ERROR "audit_cli: a damaged journal was not refused: ${out}")
endif()

# Usage errors.
execute_process(COMMAND "${CXMPUTE}" audit OUTPUT_QUIET ERROR_QUIET RESULT_VARIABLE rc)
expect("audit without a directory" "${rc}" "2")
file(REMOVE_RECURSE "${dir}")
