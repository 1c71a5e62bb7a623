"""The one stylesheet (served at /style.css, so the Content-Security-Policy needs no inline style)."""

CSS = """
:root { color-scheme: light dark; --fg: #1a1a1a; --bg: #fff; --muted: #555; --link: #0645ad; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e8e8e8; --bg: #121212; --muted: #aaa; --link: #8ab4f8; }
}
* { box-sizing: border-box; }
body { font: 17px/1.5 system-ui, sans-serif; color: var(--fg); background: var(--bg);
       max-width: 46rem; margin: 0 auto; padding: 0 1rem; }
a { color: var(--link); }
a:focus, button:focus, input:focus, summary:focus { outline: 3px solid #f90; outline-offset: 2px; }
.skip { position: absolute; left: -999px; }
.skip:focus { left: 1rem; top: 1rem; background: var(--bg); padding: .5rem; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden;
                   clip: rect(0 0 0 0); white-space: nowrap; }
header nav { display: flex; flex-wrap: wrap; gap: .75rem; align-items: center; padding: .75rem 0;
             border-bottom: 1px solid var(--muted); }
header .site { font-weight: bold; }
form { display: flex; gap: .25rem; flex-wrap: wrap; }
input, button { font: inherit; }
h1 { font-size: 1.6rem; line-height: 1.25; overflow-wrap: anywhere; }
h2 { font-size: 1.15rem; margin: .2rem 0; overflow-wrap: anywhere; }
.papers > li { margin: 1rem 0; }
.authors, .score, .links, .formats, .notes { color: var(--muted); margin: .2rem 0; }
.posts blockquote { margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; }
table { border-collapse: collapse; display: block; overflow-x: auto; }
th, td { padding: .2rem .5rem; text-align: right; border-bottom: 1px solid var(--muted); }
th[scope=row], td:first-child { text-align: left; }
.chart { width: 100%; height: auto; color: var(--fg); }
.chart text { fill: currentColor; }
footer { border-top: 1px solid var(--muted); margin-top: 2rem; color: var(--muted); }
"""
