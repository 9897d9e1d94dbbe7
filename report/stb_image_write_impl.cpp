// The one definition of stb_image_write in the library: other files include <stb/stb_image_write.h> without the define.
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb/stb_image_write.h>
