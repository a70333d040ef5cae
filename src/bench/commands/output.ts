/** Writes a report's JSON, Markdown and HTML files into a folder, each atomically. */
import { join } from 'node:path';
import { renderHtml } from '../report/html.js';
import { type JsonOptions, renderJson } from '../report/json.js';
import { renderMarkdown } from '../report/markdown.js';
import { type Report, writeFileAtomic } from '../report/report.js';

/** The files written, by kind. */
export interface WrittenFiles {
  json: string;
  markdown: string;
  html: string;
}

/** Writes `report.json`, `report.md` and `report.html` under `dir`. */
export async function writeReport(
  report: Report,
  dir: string,
  json: JsonOptions = {},
): Promise<WrittenFiles> {
  const files = {
    json: join(dir, 'report.json'),
    markdown: join(dir, 'report.md'),
    html: join(dir, 'report.html'),
  };
  await writeFileAtomic(files.json, renderJson(report, json));
  await writeFileAtomic(files.markdown, renderMarkdown(report));
  await writeFileAtomic(files.html, renderHtml(report));
  return files;
}
