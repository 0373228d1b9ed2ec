-- diagrams.lua: pandoc filter for the workbook's handouts.
--  * ```dot and ```msc code blocks become SVG figures (graphviz `dot`, `mscgen`): the
--    diagram sources live in the handout itself, next to the text they illustrate.
--  * Links to another exercise's README.md point to its HTML page, links to a page of
--    the set (NAME.html, as the index has) stay; links to other files of the repository
--    become code spans (the HTML handout stands alone).
-- The output directory comes from the metadata field `diagram_dir`.

local dir = "."
local count = 0

local function render(tool, args, source, caption)
  count = count + 1
  local name = string.format("%s-%d.svg", PANDOC_STATE.input_files[1]:gsub("[/.]", "_"), count)
  local svg = pandoc.pipe(tool, args, source)
  local f = assert(io.open(dir .. "/" .. name, "w"))
  f:write(svg)
  f:close()
  -- A title starting with "fig:" makes pandoc 2.x render a <figure> with a caption.
  local img = pandoc.Image({ pandoc.Str(caption) }, name, "fig:" .. caption)
  return pandoc.Para({ img })
end

function Meta(m)
  if m.diagram_dir then dir = pandoc.utils.stringify(m.diagram_dir) end
end

function CodeBlock(b)
  local caption = b.attributes["caption"] or "diagram"
  if b.classes:includes("dot") then
    return render("dot", { "-Tsvg" }, b.text, caption)
  elseif b.classes:includes("msc") then
    return render("mscgen", { "-T", "svg", "-o", "-", "-i", "-" }, b.text, caption)
  end
end

function Link(l)
  local t = l.target
  if t:match("^%a+:") or t:match("^#") or t:match("^[%w-]+%.html$") then return nil end
  local ex = t:match("^%.%./(td[%w-]+)/README%.md$") or t:match("^(td[%w-]+)/README%.md$")
  if ex then l.target = ex .. ".html"; return l end
  if t == "README.md" or t:match("^%.%./README%.md$") then l.target = "index.html"; return l end
  return pandoc.Code(pandoc.utils.stringify(l.content))
end

return { { Meta = Meta }, { CodeBlock = CodeBlock, Link = Link } }
