import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "postgresql",
  schema: ["./src/store/schema.ts", "./src/store/schema-auth.ts"],
  out: "./src/store/migrations",
});
