CREATE SEQUENCE "public"."gantry_rv" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1;--> statement-breakpoint
CREATE TABLE "cluster_credentials" (
	"public_key" text PRIMARY KEY NOT NULL,
	"cluster" text NOT NULL,
	"issued_at" timestamp with time zone NOT NULL,
	"not_after" timestamp with time zone,
	"revoked_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"uid" text NOT NULL,
	"tenant" text NOT NULL,
	"workload" text NOT NULL,
	"cluster" text,
	"type" text NOT NULL,
	"reason" text NOT NULL,
	"message" text NOT NULL,
	"at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "hub_leases" (
	"name" text PRIMARY KEY NOT NULL,
	"holder" text NOT NULL,
	"epoch" bigint NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"acquired_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "workload_tombstones" (
	"uid" text PRIMARY KEY NOT NULL,
	"tenant" text NOT NULL,
	"name" text NOT NULL,
	"rv" bigint NOT NULL,
	"deleted_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
-- Workloads are named within their tenant and identified by a uid; existing rows get one and keep everything else.
ALTER TABLE "workloads" ADD COLUMN "uid" text;--> statement-breakpoint
UPDATE "workloads" SET "uid" = gen_random_uuid()::text;--> statement-breakpoint
ALTER TABLE "workloads" ALTER COLUMN "uid" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "placements" DROP CONSTRAINT "placements_workload_workloads_name_fk";--> statement-breakpoint
ALTER TABLE "workloads" DROP CONSTRAINT "workloads_pkey";--> statement-breakpoint
ALTER TABLE "workloads" ADD CONSTRAINT "workloads_pkey" PRIMARY KEY ("uid");--> statement-breakpoint
ALTER TABLE "workloads" ADD COLUMN "spec_hash" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "workloads" ADD COLUMN "idempotency_key" text;--> statement-breakpoint
ALTER TABLE "workloads" ADD COLUMN "quarantine" text;--> statement-breakpoint
ALTER TABLE "workloads" ADD COLUMN "rv" bigint DEFAULT nextval('gantry_rv') NOT NULL;--> statement-breakpoint
ALTER TABLE "placements" ADD COLUMN "uid" text;--> statement-breakpoint
ALTER TABLE "placements" ADD COLUMN "tenant" text;--> statement-breakpoint
UPDATE "placements" SET "uid" = w."uid", "tenant" = w."tenant" FROM "workloads" w WHERE w."name" = "placements"."workload";--> statement-breakpoint
DELETE FROM "placements" WHERE "uid" IS NULL;--> statement-breakpoint
ALTER TABLE "placements" ALTER COLUMN "uid" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "placements" ALTER COLUMN "tenant" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "placements" DROP CONSTRAINT "placements_workload_cluster_pk";--> statement-breakpoint
ALTER TABLE "placements" ADD CONSTRAINT "placements_uid_cluster_pk" PRIMARY KEY("uid","cluster");--> statement-breakpoint
ALTER TABLE "placements" ADD COLUMN "status_seq" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "placements" ADD COLUMN "missing_since" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "reservations" ADD COLUMN "uid" text;--> statement-breakpoint
UPDATE "reservations" SET "uid" = w."uid" FROM "workloads" w WHERE w."name" = "reservations"."workload";--> statement-breakpoint
DELETE FROM "reservations" WHERE "uid" IS NULL;--> statement-breakpoint
ALTER TABLE "reservations" ALTER COLUMN "uid" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "reservations" DROP CONSTRAINT "reservations_workload_cluster_pk";--> statement-breakpoint
ALTER TABLE "reservations" ADD CONSTRAINT "reservations_uid_cluster_pk" PRIMARY KEY("uid","cluster");--> statement-breakpoint
ALTER TABLE "reservations" DROP COLUMN "workload";--> statement-breakpoint
ALTER TABLE "decisions" ADD COLUMN "uid" text;--> statement-breakpoint
ALTER TABLE "decisions" ADD COLUMN "tenant" text;--> statement-breakpoint
UPDATE "decisions" SET "uid" = w."uid", "tenant" = w."tenant" FROM "workloads" w WHERE w."name" = "decisions"."workload";--> statement-breakpoint
DELETE FROM "decisions" WHERE "uid" IS NULL;--> statement-breakpoint
ALTER TABLE "decisions" ALTER COLUMN "uid" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "decisions" ALTER COLUMN "tenant" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "cost_ledger" ADD COLUMN "uid" text;--> statement-breakpoint
UPDATE "cost_ledger" SET "uid" = w."uid" FROM "workloads" w WHERE w."name" = "cost_ledger"."workload";--> statement-breakpoint
ALTER TABLE "clusters" ADD COLUMN "state" text DEFAULT 'registered' NOT NULL;--> statement-breakpoint
ALTER TABLE "clusters" ADD COLUMN "registration" jsonb;--> statement-breakpoint
ALTER TABLE "clusters" ADD COLUMN "reported" jsonb;--> statement-breakpoint
ALTER TABLE "clusters" ADD COLUMN "registered_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "clusters" ADD COLUMN "revoked_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "cluster_credentials_cluster_idx" ON "cluster_credentials" USING btree ("cluster");--> statement-breakpoint
CREATE INDEX "events_uid_idx" ON "events" USING btree ("uid","id");--> statement-breakpoint
CREATE INDEX "events_tenant_idx" ON "events" USING btree ("tenant","id");--> statement-breakpoint
ALTER TABLE "placements" ADD CONSTRAINT "placements_uid_workloads_uid_fk" FOREIGN KEY ("uid") REFERENCES "public"."workloads"("uid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "placements_cluster_idx" ON "placements" USING btree ("cluster","active");--> statement-breakpoint
CREATE UNIQUE INDEX "workloads_tenant_name_idx" ON "workloads" USING btree ("tenant","name");--> statement-breakpoint
CREATE UNIQUE INDEX "workloads_idempotency_idx" ON "workloads" USING btree ("tenant","idempotency_key");--> statement-breakpoint
CREATE INDEX "workloads_phase_idx" ON "workloads" USING btree ("phase");--> statement-breakpoint
CREATE INDEX "workloads_rv_idx" ON "workloads" USING btree ("rv");