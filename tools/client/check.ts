// A small typed client of the API, compiled under `tsc --strict` against the types
// openapi-typescript generates from openapi.yaml (tests/test_spec_tools.py): list
// articles, read one, and read a 404 as a problem document. Prints what it read as JSON.
// Fields are optional in the types (`fields=` may leave any out), so reads are narrowed.
import type { components, paths } from "./api";

type ArticlePage =
  paths["/articles"]["get"]["responses"][200]["content"]["application/json"];
type Article =
  paths["/articles/{article_id}"]["get"]["responses"][200]["content"]["application/json"];
type Problem = components["schemas"]["Problem"];

async function read<T>(url: string, status: number, contentType: string): Promise<T> {
  const response = await fetch(url);
  const type = response.headers.get("content-type") ?? "";
  if (response.status !== status || !type.startsWith(contentType)) {
    throw new Error(`${url}: ${response.status} ${type}, expected ${status} ${contentType}`);
  }
  return (await response.json()) as T;
}

async function main(base: string): Promise<void> {
  const page = await read<ArticlePage>(`${base}/articles?pageSize=2`, 200, "application/json");
  const first = page.items[0];
  if (first?.id === undefined) throw new Error("the list's first item has no id");
  // @ts-expect-error: the spec has no `titel`; were the types not checked, this would pass.
  const misspelt: string = first.titel;
  const article = await read<Article>(
    `${base}/articles/${encodeURIComponent(first.id)}`,
    200,
    "application/json",
  );
  const problem = await read<Problem>(
    `${base}/articles/no-such-article`,
    404,
    "application/problem+json",
  );
  const next: string | null | undefined = page.links?.next;
  console.log(
    JSON.stringify({
      total: page.total,
      pageSize: page.pageSize,
      next,
      ids: page.items.map((item) => item.id),
      article: { id: article.id, title: article.title, related: article.related?.length },
      misspelt: misspelt ?? null,
      problem: { status: problem.status, title: problem.title, detail: problem.detail },
    }),
  );
}

main(process.argv[2]).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
