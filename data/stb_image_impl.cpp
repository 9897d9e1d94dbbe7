// The one definition of stb_image in the library: other files include <stb/stb_image.h> without the define.
// Only the formats image folders list (kImageExtensions): the other decoders (PSD, HDR, PIC, PNM, TGA) would decode
// any file whose bytes look like theirs, whatever its name, and are code nobody needs here.
#define STBI_ONLY_PNG
#define STBI_ONLY_JPEG
#define STBI_ONLY_BMP
#define STBI_ONLY_GIF
#define STB_IMAGE_IMPLEMENTATION
#include <stb/stb_image.h>
