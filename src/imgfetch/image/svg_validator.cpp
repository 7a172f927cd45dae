// SVG: a well-formed XML document (expat, fed as the body streams) whose root element is svg
// (with or without a namespace prefix). The size comes from the root's width and height when
// they are plain numbers or px, else from its viewBox; 0 when neither says. An error found only
// when the body ends (an unclosed element or token) is a truncation; any other is corruption.
// Memory: expat keeps the open-element stack and the current token, not the document, so it
// grows with nesting depth and the longest token, not the body; external entities are never
// loaded and expat 2.5 limits entity expansion (billion laughs).
#include <expat.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>

#include "imgfetch/image/validators.hpp"

namespace imgfetch {
namespace {

// The number at the start of a length attribute, when its unit is px or none; 0 otherwise.
std::uint32_t pixels(const char* text) {
    char* rest = nullptr;
    const double value = std::strtod(text, &rest);
    if (rest == text || !(value > 0) || value > 1e9) {
        return 0;
    }
    const std::string unit(rest);
    return unit.empty() || unit == "px" ? static_cast<std::uint32_t>(std::lround(value)) : 0;
}

class SvgValidator final : public ImageValidator {
public:
    SvgValidator() : m_parser(XML_ParserCreate(nullptr)) {
        m_facts.format = ImageFormat::svg;
        if (m_parser == nullptr) {
            throw std::bad_alloc();
        }
        XML_SetUserData(m_parser, this);
        XML_SetStartElementHandler(m_parser, &SvgValidator::on_start);
        XML_SetParamEntityParsing(m_parser, XML_PARAM_ENTITY_PARSING_NEVER);
    }
    ~SvgValidator() override { XML_ParserFree(m_parser); }
    SvgValidator(const SvgValidator&) = delete;
    SvgValidator& operator=(const SvgValidator&) = delete;

    void feed(std::string_view chunk) override {
        while (!chunk.empty() && m_verdict == ImageVerdict::ok) {
            const std::size_t piece = std::min<std::size_t>(chunk.size(), INT_MAX);
            parse(chunk.substr(0, piece), false);
            chunk.remove_prefix(piece);
        }
    }

    ImageCheck finish() override {
        if (m_verdict == ImageVerdict::ok) {
            parse({}, true);
        }
        ImageCheck check{m_verdict, m_reason, m_facts};
        return check;
    }

    const ImageFacts& facts() const override { return m_facts; }

private:
    void parse(std::string_view piece, bool final) {
        if (XML_Parse(m_parser, piece.data(), static_cast<int>(piece.size()), final ? 1 : 0) ==
            XML_STATUS_OK) {
            return;
        }
        if (m_verdict != ImageVerdict::ok) {
            return; // on_start stopped the parser with its own reason
        }
        const XML_Error error = XML_GetErrorCode(m_parser);
        const bool cut =
            final && (error == XML_ERROR_NO_ELEMENTS || error == XML_ERROR_UNCLOSED_TOKEN ||
                      error == XML_ERROR_PARTIAL_CHAR || error == XML_ERROR_UNCLOSED_CDATA_SECTION);
        m_verdict = cut ? ImageVerdict::truncated : ImageVerdict::corrupt;
        m_reason = std::string(cut ? "document ends early: " : "") + XML_ErrorString(error) +
                   " at line " + std::to_string(XML_GetCurrentLineNumber(m_parser));
    }

    static void XMLCALL on_start(void* self, const XML_Char* name, const XML_Char** attributes) {
        static_cast<SvgValidator*>(self)->start_element(name, attributes);
    }

    void start_element(const char* name, const char** attributes) {
        if (m_seen_root) {
            return;
        }
        m_seen_root = true;
        const char* colon = std::strrchr(name, ':');
        const char* local = colon != nullptr ? colon + 1 : name;
        if (std::strcmp(local, "svg") != 0) {
            m_verdict = ImageVerdict::corrupt;
            m_reason = std::string("root element is ") + name + ", not svg";
            XML_StopParser(m_parser, XML_FALSE);
            return;
        }
        read_size(attributes);
    }

    void read_size(const char** attributes) {
        const char* view_box = nullptr;
        for (const char** attribute = attributes; *attribute != nullptr; attribute += 2) {
            if (std::strcmp(attribute[0], "width") == 0) {
                m_facts.width = pixels(attribute[1]);
            } else if (std::strcmp(attribute[0], "height") == 0) {
                m_facts.height = pixels(attribute[1]);
            } else if (std::strcmp(attribute[0], "viewBox") == 0) {
                view_box = attribute[1];
            }
        }
        if ((m_facts.width == 0 || m_facts.height == 0) && view_box != nullptr) {
            char* rest = nullptr;
            std::strtod(view_box, &rest);                       // min-x
            std::strtod(rest + std::strspn(rest, " ,"), &rest); // min-y
            const double width = std::strtod(rest + std::strspn(rest, " ,"), &rest);
            const double height = std::strtod(rest + std::strspn(rest, " ,"), &rest);
            if (width > 0 && height > 0 && width < 1e9 && height < 1e9) {
                m_facts.width = static_cast<std::uint32_t>(std::lround(width));
                m_facts.height = static_cast<std::uint32_t>(std::lround(height));
            }
        }
    }

    XML_Parser m_parser;
    ImageFacts m_facts;
    bool m_seen_root = false;
    ImageVerdict m_verdict = ImageVerdict::ok;
    std::string m_reason;
};

} // namespace

std::unique_ptr<ImageValidator> make_svg_validator() {
    return std::make_unique<SvgValidator>();
}

} // namespace imgfetch
