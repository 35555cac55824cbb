// go-api: a small HTTP API. It listens on 127.0.0.1:$PORT (8081 by default).
package main

import (
	"encoding/json"
	"log"
	"net/http"
	"os"
	"time"
)

type greeting struct {
	Message string    `json:"message"`
	At      time.Time `json:"at"`
}

func main() {
	port := os.Getenv("PORT")
	if port == "" {
		port = "8081"
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/health", func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("/api/greeting", func(w http.ResponseWriter, r *http.Request) {
		name := r.URL.Query().Get("name")
		if name == "" {
			name = "world"
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(greeting{Message: "hello, " + name + " from go-api", At: time.Now().UTC()})
	})
	address := os.Getenv("HOST") + ":" + port
	if os.Getenv("HOST") == "" {
		address = "127.0.0.1:" + port
	}
	log.Printf("go-api listening on %s", address)
	log.Fatal(http.ListenAndServe(address, mux))
}
