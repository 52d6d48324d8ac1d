# The build is warning-free: every warning is an error, in every target of ours.
# -Wmissing-field-initializers is off because GCC 12 fires it on designated
# initializers ({.port = 0}), where omitted members take their defaults by design.
add_compile_options(-Wall -Wextra -Werror -Wpedantic -Wnon-virtual-dtor -Wimplicit-fallthrough
                    -Wno-missing-field-initializers)
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  add_compile_options(-Wshadow=local)
  if(CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    # GCC 12 at -O3 reports std::string concatenation inside libstdc++ as overlapping
    # memcpy (GCC bug 105651, fixed in 13): a false positive in the library, not ours.
    # GCC 12's -Wmaybe-uninitialized fires inside libstdc++ (std::string, std::function,
    # std::regex) once inlined at -O2/-O3 and under sanitizers; GCC 13 fixed most of it.
    add_compile_options(-Wno-restrict -Wno-maybe-uninitialized)
  endif()
else()
  # clang (the fuzz configuration): its closest equivalent of GCC's -Wshadow=local.
  add_compile_options(-Wshadow-uncaptured-local)
endif()
