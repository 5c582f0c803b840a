CREATE TABLE "clusters" (
	"name" text PRIMARY KEY NOT NULL,
	"description" jsonb NOT NULL,
	"agent_id" text,
	"driver" text,
	"agent_version" text,
	"capacity" jsonb,
	"last_seen_at" timestamp with time zone,
	"revision" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "datasets" (
	"name" text PRIMARY KEY NOT NULL,
	"size_gb" double precision NOT NULL,
	"locations" jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "decisions" (
	"id" text PRIMARY KEY NOT NULL,
	"workload" text NOT NULL,
	"decision" jsonb NOT NULL,
	"feasible" boolean NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "outbox" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"cluster" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"published_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "placements" (
	"workload" text NOT NULL,
	"cluster" text NOT NULL,
	"replicas" integer NOT NULL,
	"generation" integer NOT NULL,
	"decision_id" text NOT NULL,
	"spot" boolean DEFAULT false NOT NULL,
	"gpu_model" text,
	"price_per_gpu_hour" double precision DEFAULT 0 NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"status" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "placements_workload_cluster_pk" PRIMARY KEY("workload","cluster")
);
--> statement-breakpoint
CREATE TABLE "reservations" (
	"workload" text NOT NULL,
	"cluster" text NOT NULL,
	"generation" integer NOT NULL,
	"nodes" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "reservations_workload_cluster_pk" PRIMARY KEY("workload","cluster")
);
--> statement-breakpoint
CREATE TABLE "workloads" (
	"name" text PRIMARY KEY NOT NULL,
	"tenant" text NOT NULL,
	"manifest" jsonb NOT NULL,
	"phase" text NOT NULL,
	"message" text DEFAULT '' NOT NULL,
	"generation" integer DEFAULT 0 NOT NULL,
	"priority" integer DEFAULT 0 NOT NULL,
	"decision_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"placed_at" timestamp with time zone,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "placements" ADD CONSTRAINT "placements_workload_workloads_name_fk" FOREIGN KEY ("workload") REFERENCES "public"."workloads"("name") ON DELETE cascade ON UPDATE no action;