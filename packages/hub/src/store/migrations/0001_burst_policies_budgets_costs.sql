CREATE TABLE "budgets" (
	"tenant" text PRIMARY KEY NOT NULL,
	"resource" jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "cost_ledger" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"workload" text NOT NULL,
	"tenant" text NOT NULL,
	"cluster" text NOT NULL,
	"pool" text,
	"policy" text,
	"kind" text NOT NULL,
	"usd" double precision NOT NULL,
	"start_at" timestamp with time zone NOT NULL,
	"end_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "policies" (
	"name" text PRIMARY KEY NOT NULL,
	"resource" jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "placements" ADD COLUMN "pool" text;--> statement-breakpoint
ALTER TABLE "placements" ADD COLUMN "policy" text;--> statement-breakpoint
ALTER TABLE "placements" ADD COLUMN "gpus_per_replica" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "placements" ADD COLUMN "accrued_until" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "workloads" ADD COLUMN "policy" text;--> statement-breakpoint
ALTER TABLE "workloads" ADD COLUMN "pool" text;--> statement-breakpoint
ALTER TABLE "workloads" ADD COLUMN "pool_note" text;--> statement-breakpoint
CREATE INDEX "cost_ledger_start_idx" ON "cost_ledger" USING btree ("start_at");--> statement-breakpoint
CREATE INDEX "cost_ledger_tenant_idx" ON "cost_ledger" USING btree ("tenant","start_at");