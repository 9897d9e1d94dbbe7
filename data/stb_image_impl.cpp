// The one definition of stb_image in the library: other files include <stb/stb_image.h> without the define.
#define STB_IMAGE_IMPLEMENTATION
#include <stb/stb_image.h>
