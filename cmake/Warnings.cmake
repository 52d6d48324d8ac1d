# The build is warning-free: every warning is an error, in every target of ours.
add_compile_options(-Wall -Wextra -Werror -Wpedantic -Wshadow=local -Wnon-virtual-dtor -Wimplicit-fallthrough)
