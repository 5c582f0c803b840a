ALTER TABLE "placements" ADD COLUMN "routing" jsonb;--> statement-breakpoint
ALTER TABLE "workloads" ADD COLUMN "autoscaling" jsonb;